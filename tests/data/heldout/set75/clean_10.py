# multi-gpu version of my cifar script, launch with:
#   torchrun --nproc_per_node=4 clean_ddp.py
import os
import time
import torch
import torch.nn as nn
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
import torchvision
import torchvision.transforms as T

EPOCHS = 30
PER_GPU_BATCH = 32

local_rank = int(os.environ["LOCAL_RANK"])
dist.init_process_group(backend="nccl")
torch.cuda.set_device(local_rank)
rank = dist.get_rank()
world = dist.get_world_size()
if rank == 0:
    print("world size", world, "global batch", PER_GPU_BATCH * world)


def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


layers = []
layers += block(3, 64)
layers += block(64, 64)
layers.append(nn.MaxPool2d(2))
layers += block(64, 128)
layers += block(128, 128)
layers.append(nn.MaxPool2d(2))
layers += block(128, 256)
layers.append(nn.AdaptiveAvgPool2d(1))
layers.append(nn.Flatten())
layers.append(nn.Linear(256, 10))
model = nn.Sequential(*layers)

# convert BEFORE wrapping in DDP
model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
model = model.cuda(local_rank)
model = DDP(model, device_ids=[local_rank])

tf_train = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor()])
train_set = torchvision.datasets.CIFAR10("./data", train=True, download=(rank == 0), transform=tf_train)
test_set = torchvision.datasets.CIFAR10("./data", train=False, download=(rank == 0), transform=T.ToTensor())
sampler = DistributedSampler(train_set, shuffle=True)
train_loader = DataLoader(train_set, batch_size=PER_GPU_BATCH, sampler=sampler, num_workers=4, pin_memory=True)
test_loader = DataLoader(test_set, batch_size=256, num_workers=2)

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1 * world, momentum=0.9, weight_decay=5e-4)

for epoch in range(EPOCHS):
    t0 = time.time()
    model.train()
    sampler.set_epoch(epoch)
    for x, y in train_loader:
        x, y = x.cuda(local_rank, non_blocking=True), y.cuda(local_rank, non_blocking=True)
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    if rank == 0:
        model.eval()
        ok = 0
        with torch.no_grad():
            for x, y in test_loader:
                x, y = x.cuda(local_rank), y.cuda(local_rank)
                ok += (model.module(x).argmax(1) == y).sum().item()
        print(f"epoch {epoch} loss {loss.item():.3f} acc {ok / len(test_set):.4f} ({time.time() - t0:.0f}s)")
    dist.barrier()

if rank == 0:
    torch.save(model.module.state_dict(), "cifar_ddp_syncbn.pth")
dist.destroy_process_group()
