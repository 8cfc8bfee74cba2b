#!/usr/bin/env python
# coding: utf-8

# # Using both T4s on Kaggle: DDP + SyncBatchNorm (CIFAR-100)
#
# Accelerator: GPU T4 x2. The worker function is defined in a cell and started
# with `torch.multiprocessing.spawn` (use "Save & Run All" -- spawn needs the
# function to be importable, so we write it to a module first, see cell 2).

# In[1]:


import os
import torch
print(torch.__version__, torch.cuda.device_count())


# In[2]:


# (cell magic %%writefile ddp_worker.py was removed by the export; the code is kept inline)
import time
import torch
import torch.nn as nn
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
import torchvision
import torchvision.transforms as T

PER_GPU_BATCH = 64
EPOCHS = 20
WORLD_SIZE = 2


def make_model(num_classes=100):
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    layers = []
    layers += block(3, 64)
    layers += block(64, 64)
    layers.append(nn.MaxPool2d(2))
    layers += block(64, 128)
    layers.append(nn.Conv2d(128, 256, 3, padding=1))  # expect: BN204
    layers.append(nn.BatchNorm2d(256))
    layers.append(nn.ReLU(inplace=True))
    layers.append(nn.AdaptiveAvgPool2d(1))
    layers.append(nn.Flatten())
    layers.append(nn.Linear(256, num_classes))
    return nn.Sequential(*layers)


def worker(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29500"
    dist.init_process_group("nccl", rank=rank, world_size=world_size)
    torch.cuda.set_device(rank)

    tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize((0.507, 0.487, 0.441), (0.267, 0.256, 0.276))])
    ds = torchvision.datasets.CIFAR100("/kaggle/working/data", train=True, download=(rank == 0), transform=tf)
    sampler = DistributedSampler(ds, num_replicas=world_size, rank=rank, shuffle=True)
    loader = DataLoader(ds, batch_size=PER_GPU_BATCH, sampler=sampler, num_workers=2, pin_memory=True)

    model = make_model().cuda(rank)
    model = DDP(model, device_ids=[rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    optimizer = torch.optim.SGD(model.parameters(), lr=0.05 * world_size, momentum=0.9, weight_decay=5e-4)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        model.train()
        t0 = time.time()
        for x, y in loader:
            x, y = x.cuda(rank, non_blocking=True), y.cuda(rank, non_blocking=True)
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if rank == 0:
            print(f"epoch {epoch}: loss {loss.item():.3f} ({time.time() - t0:.0f}s)", flush=True)

    if rank == 0:
        torch.save(model.module.state_dict(), "/kaggle/working/cifar100_ddp.pt")
    dist.destroy_process_group()


# In[3]:


if __name__ == "__main__":
    mp.spawn(worker, args=(WORLD_SIZE,), nprocs=WORLD_SIZE, join=True)


# In[4]:


get_ipython().system('ls -lh /kaggle/working')
