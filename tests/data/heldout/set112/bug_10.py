#!/usr/bin/env python
"""Distributed SimSiam pre-training (Chen & He, 2021) on ImageNet-100.

Launch with:  torchrun --nproc_per_node=8 bug_10.py --data /datasets/imagenet100
"""
import argparse
import math
import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchvision.datasets as datasets
import torchvision.models as models
import torchvision.transforms as transforms
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data.distributed import DistributedSampler

PREV_DIM = 2048   # resnet50 feature width
DIM = 2048        # projection width
PRED_DIM = 512    # predictor bottleneck


class SimSiam(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = models.resnet50(zero_init_residual=True)
        self.encoder.fc = nn.Identity()
        self.projector = nn.Sequential(
            nn.Linear(PREV_DIM, PREV_DIM, bias=False),
            nn.BatchNorm1d(PREV_DIM),
            nn.ReLU(inplace=True),
            nn.Linear(PREV_DIM, PREV_DIM, bias=False),
            nn.BatchNorm1d(PREV_DIM),
            nn.ReLU(inplace=True),
            nn.Linear(PREV_DIM, DIM, bias=False),
            nn.BatchNorm1d(DIM, affine=False),
        )
        self.predictor = nn.Sequential(
            nn.Linear(DIM, PRED_DIM, bias=False),
            nn.BatchNorm1d(DIM),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.Linear(PRED_DIM, DIM),
        )

    def forward(self, x1, x2):
        z1 = self.projector(self.encoder(x1))
        z2 = self.projector(self.encoder(x2))
        p1 = self.predictor(z1)
        p2 = self.predictor(z2)
        return p1, p2, z1.detach(), z2.detach()


class TwoCropsTransform:
    def __init__(self, base_transform):
        self.base_transform = base_transform

    def __call__(self, x):
        return [self.base_transform(x), self.base_transform(x)]


def adjust_learning_rate(optimizer, init_lr, epoch, epochs):
    cur_lr = init_lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
    for group in optimizer.param_groups:
        group["lr"] = init_lr if group.get("fix_lr", False) else cur_lr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=512, help="total batch size over all GPUs")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--save-dir", default="checkpoints")
    args = parser.parse_args()

    dist.init_process_group(backend="nccl")
    rank = dist.get_rank()
    world_size = dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)

    init_lr = args.lr * args.batch_size / 256
    model = SimSiam().cuda(local_rank)
    model = DDP(model, device_ids=[local_rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    optim_params = [
        {"params": model.module.encoder.parameters(), "fix_lr": False},
        {"params": model.module.projector.parameters(), "fix_lr": False},
        {"params": model.module.predictor.parameters(), "fix_lr": True},
    ]
    optimizer = torch.optim.SGD(optim_params, init_lr, momentum=0.9, weight_decay=1e-4)

    normalize = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    augmentation = transforms.Compose([
        transforms.RandomResizedCrop(224, scale=(0.2, 1.0)),
        transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        transforms.RandomGrayscale(p=0.2),
        transforms.RandomApply([transforms.GaussianBlur(23, sigma=(0.1, 2.0))], p=0.5),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        normalize,
    ])
    train_dataset = datasets.ImageFolder(os.path.join(args.data, "train"), TwoCropsTransform(augmentation))
    sampler = DistributedSampler(train_dataset)
    per_gpu_batch = args.batch_size // world_size
    train_loader = torch.utils.data.DataLoader(train_dataset, batch_size=per_gpu_batch, sampler=sampler, num_workers=args.workers, pin_memory=True, drop_last=True)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        adjust_learning_rate(optimizer, init_lr, epoch, args.epochs)
        model.train()
        end = time.time()
        for i, (images, _) in enumerate(train_loader):
            x1 = images[0].cuda(local_rank, non_blocking=True)
            x2 = images[1].cuda(local_rank, non_blocking=True)
            p1, p2, z1, z2 = model(x1, x2)
            loss = -(F.cosine_similarity(p1, z2, dim=-1).mean() + F.cosine_similarity(p2, z1, dim=-1).mean()) * 0.5
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if i % 50 == 0 and rank == 0:
                print(f"epoch {epoch} it {i}/{len(train_loader)} loss {loss.item():.4f} ({time.time() - end:.2f}s)")
                end = time.time()
        if rank == 0:
            os.makedirs(args.save_dir, exist_ok=True)
            torch.save({"epoch": epoch + 1, "state_dict": model.module.state_dict(), "optimizer": optimizer.state_dict()},
                       os.path.join(args.save_dir, "checkpoint_%04d.pth.tar" % epoch))

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
