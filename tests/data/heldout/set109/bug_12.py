# Multi-GPU (8x V100) training is much worse than the single-GPU run with the
# same *global* batch size of 32. torchrun --nproc_per_node=8 train_ddp.py
import argparse
import os

import torch
import torch.distributed as dist
import torchvision
import torchvision.transforms as T
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

parser = argparse.ArgumentParser()
parser.add_argument("--batch-size", type=int, default=4, help="per-GPU batch size")
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=5)
args = parser.parse_args()

dist.init_process_group(backend="nccl")
local_rank = int(os.environ["LOCAL_RANK"])
torch.cuda.set_device(local_rank)

train_set = torchvision.datasets.FakeData(size=1000, image_size=(3, 224, 224), num_classes=10, transform=T.ToTensor())
sampler = DistributedSampler(train_set, shuffle=True)
train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler, num_workers=4)  # expect: BN301, BN304

model = torchvision.models.resnet18(num_classes=10).cuda(local_rank)
model = DistributedDataParallel(model, device_ids=[local_rank])
opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

for epoch in range(args.epochs):
    sampler.set_epoch(epoch)
    model.train()
    for images, target in train_loader:
        images, target = images.cuda(local_rank), target.cuda(local_rank)
        loss = torch.nn.functional.cross_entropy(model(images), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    if local_rank == 0:
        print(f"epoch {epoch} loss {loss.item():.4f}")

dist.destroy_process_group()
