#!/usr/bin/env python
# coding: utf-8

# # Multi-GPU on Kaggle (T4 x2): DDP with SyncBatchNorm, done in the right order
#
# 1. init the process group
# 2. build the model, **convert BN -> SyncBN**
# 3. move to the GPU, **then** wrap in DDP

# In[1]:


get_ipython().system('nvidia-smi -L')


# In[2]:


import os
import time
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

CONFIG = {
    "batch_size_per_gpu": 32,
    "epochs": 10,
    "lr": 0.02,
    "data": "/kaggle/working/data",
}


# In[3]:


def make_net(n_classes=10):
    return nn.Sequential(
        nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
        nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
        nn.Conv2d(128, 256, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(256), nn.ReLU(inplace=True),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(256, n_classes),
    )


def evaluate(model, rank):
    ds = datasets.CIFAR10(CONFIG["data"], train=False, transform=transforms.ToTensor())
    dl = DataLoader(ds, batch_size=500)
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in dl:
            correct += (model(x.cuda(rank)).argmax(1).cpu() == y).sum().item()
    return correct / len(ds)


def worker(rank, world_size):
    os.environ.setdefault("MASTER_ADDR", "localhost")
    os.environ.setdefault("MASTER_PORT", "12355")
    dist.init_process_group(backend="nccl", rank=rank, world_size=world_size)
    torch.cuda.set_device(rank)

    tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    train_ds = datasets.CIFAR10(CONFIG["data"], train=True, transform=tf)
    sampler = DistributedSampler(train_ds, num_replicas=world_size, rank=rank)
    train_dl = DataLoader(train_ds, batch_size=CONFIG["batch_size_per_gpu"], sampler=sampler, num_workers=2, drop_last=True)

    net = make_net()
    net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    net = net.cuda(rank)
    ddp_net = DDP(net, device_ids=[rank])

    opt = torch.optim.SGD(ddp_net.parameters(), lr=CONFIG["lr"] * world_size, momentum=0.9)
    for epoch in range(CONFIG["epochs"]):
        sampler.set_epoch(epoch)
        ddp_net.train()
        t0 = time.time()
        for x, y in train_dl:
            x, y = x.cuda(rank, non_blocking=True), y.cuda(rank, non_blocking=True)
            loss = F.cross_entropy(ddp_net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if rank == 0:
            acc = evaluate(ddp_net.module, rank)
            print(f"epoch {epoch}: loss {loss.item():.3f} acc {acc:.4f} [{time.time() - t0:.0f}s]", flush=True)
        dist.barrier()

    if rank == 0:
        torch.save(ddp_net.module.state_dict(), "/kaggle/working/cifar10_syncbn.pt")
    dist.destroy_process_group()


# In[4]:


if __name__ == "__main__":
    datasets.CIFAR10(CONFIG["data"], train=True, download=True)
    datasets.CIFAR10(CONFIG["data"], train=False, download=True)
    world_size = torch.cuda.device_count()
    mp.spawn(worker, args=(world_size,), nprocs=world_size, join=True)
