# Issue about convert_sync_batchnorm: the project's model_parallel helper
# converts BatchNorm to SyncBatchNorm on the bare model and only afterwards
# wraps it in DistributedDataParallel (the documented order).
import torch
import torch.distributed as _dist
import torchvision


class DistConfig:
    def __init__(self, dist_backend="nccl", dist_url="env://", world_size=1, rank=0,
                 ngpus_per_node=1, multiprocessing_distributed=True, sync_bn=True):
        self.dist_backend = dist_backend
        self.dist_url = dist_url
        self.world_size = world_size
        self.rank = rank
        self.ngpus_per_node = ngpus_per_node
        self.multiprocessing_distributed = multiprocessing_distributed
        self.sync_bn = sync_bn


def get_optimizer(model, optimizer):
    if optimizer is None:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return optimizer, None


def model_parallel(model, optimizer, gpu_ids, dist_config=None):
    torch.cuda.set_device(gpu_ids[0])
    model = model.cuda(gpu_ids[0])

    if isinstance(dist_config, DistConfig) \
            and dist_config.multiprocessing_distributed and dist_config.sync_bn:
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)

    optimizer, remain_optimizer = get_optimizer(model, optimizer)
    if isinstance(dist_config, DistConfig) and dist_config.dist_url is not None:
        if dist_config.multiprocessing_distributed:
            dist_config.world_size = dist_config.world_size * dist_config.ngpus_per_node
            dist_config.rank = int(dist_config.rank) * int(dist_config.ngpus_per_node) + gpu_ids[0]

        _dist.init_process_group(backend=dist_config.dist_backend,
                                 init_method=dist_config.dist_url,
                                 world_size=dist_config.world_size,
                                 rank=dist_config.rank)

        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=gpu_ids,
                                                          find_unused_parameters=True)
    elif gpu_ids is not None and len(gpu_ids) > 1:
        model = torch.nn.DataParallel(model, device_ids=gpu_ids)

    return model, optimizer, remain_optimizer


def main_worker(gpu, dist_config):
    model = torchvision.models.resnet50()
    model, optimizer, _ = model_parallel(model, None, [gpu], dist_config)
    return model, optimizer


if __name__ == "__main__":
    main_worker(0, DistConfig())
