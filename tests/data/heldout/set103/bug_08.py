"""
Getting Started with Distributed Data Parallel -- exercise 2.

Take the ToyModel from the tutorial, give it a BatchNorm layer, and make the
statistics synchronised across the processes with SyncBatchNorm.
Launch:  python ddp_toy_bn.py --world-size 2
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.optim as optim
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def setup(rank, world_size):
    os.environ['MASTER_ADDR'] = 'localhost'
    os.environ['MASTER_PORT'] = '12355'

    # initialize the process group
    dist.init_process_group("nccl", rank=rank, world_size=world_size)


def cleanup():
    dist.destroy_process_group()


class ToyModel(nn.Module):
    def __init__(self):
        super(ToyModel, self).__init__()
        self.net1 = nn.Linear(10, 10, bias=False)
        self.bn = nn.BatchNorm1d(10, momentum=0.99)  # expect: BN205
        self.relu = nn.ReLU()
        self.net2 = nn.Linear(10, 5)

    def forward(self, x):
        return self.net2(self.relu(self.bn(self.net1(x))))


def demo_basic(rank, world_size, epochs):
    print(f"Running basic DDP example on rank {rank}.")
    setup(rank, world_size)

    # synthetic regression data, same on every rank
    g = torch.Generator().manual_seed(0)
    inputs = torch.randn(4096, 10, generator=g)
    targets = torch.randn(4096, 5, generator=g)
    dataset = TensorDataset(inputs, targets)
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True)
    loader = DataLoader(dataset, batch_size=32, sampler=sampler, drop_last=True)

    # create model and move it to GPU with id rank
    model = ToyModel().to(rank)
    ddp_model = DDP(model, device_ids=[rank])
    ddp_model = nn.SyncBatchNorm.convert_sync_batchnorm(ddp_model)  # expect: BN303

    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(ddp_model.parameters(), lr=0.001)

    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        ddp_model.train()
        total = 0.0
        for x, y in loader:
            x, y = x.to(rank), y.to(rank)
            optimizer.zero_grad()
            outputs = ddp_model(x)
            loss = loss_fn(outputs, y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        if rank == 0:
            print(f"epoch {epoch}: loss {total / len(loader):.4f}")

    if rank == 0:
        torch.save(ddp_model.module.state_dict(), "toy_bn.pt")
    cleanup()
    print(f"Finished running basic DDP example on rank {rank}.")


def run_demo(demo_fn, world_size, epochs):
    mp.spawn(demo_fn, args=(world_size, epochs), nprocs=world_size, join=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--world-size", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    n_gpus = torch.cuda.device_count()
    assert n_gpus >= 2, f"Requires at least 2 GPUs to run, but got {n_gpus}"
    run_demo(demo_basic, args.world_size, args.epochs)
