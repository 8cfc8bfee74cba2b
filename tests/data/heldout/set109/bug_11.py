# DDP + SyncBatchNorm: BN stats are not synchronised across ranks (2x A100)
# torchrun --nproc_per_node=2 repro.py
import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def build():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(inplace=True),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 10),
    )


def main():
    dist.init_process_group("nccl")
    rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(rank)
    torch.manual_seed(0)

    model = build().cuda(rank)
    model = DDP(model, device_ids=[rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    ds = TensorDataset(torch.randn(4096, 3, 32, 32), torch.randint(0, 10, (4096,)))
    sampler = DistributedSampler(ds)
    loader = DataLoader(ds, batch_size=32, sampler=sampler)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    model.train()
    for x, y in loader:
        x, y = x.cuda(rank), y.cuda(rank)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    bn = model.module[1]
    print(f"rank {rank}: {type(bn).__name__} running_mean[:3] = {bn.running_mean[:3].tolist()}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
