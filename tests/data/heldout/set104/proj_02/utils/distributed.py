import os

import torch
import torch.distributed as dist


def init_distributed():
    """Initialise the default process group from the torchrun environment."""
    dist.init_process_group(backend="nccl", init_method="env://")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    return local_rank


def is_main_process():
    return not dist.is_initialized() or dist.get_rank() == 0


def save_on_master(obj, path):
    if is_main_process():
        torch.save(obj, path)


def reduce_mean(t):
    t = t.clone()
    dist.all_reduce(t)
    return t / dist.get_world_size()
