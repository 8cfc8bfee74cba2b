"""Multi-GPU training launched with torchrun:

    torchrun --nproc_per_node=8 train_ddp.py --data /datasets/imagenet
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, models, transforms


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--arch", default="resnet50")
    parser.add_argument("--batch-size", type=int, default=64, help="per-GPU batch size")
    parser.add_argument("--epochs", type=int, default=90)
    parser.add_argument("--lr", type=float, default=0.1)
    return parser.parse_args()


def build_loaders(root, batch_size, world_size, rank):
    norm = transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_set = datasets.ImageFolder(os.path.join(root, "train"), transforms.Compose([
        transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    val_set = datasets.ImageFolder(os.path.join(root, "val"), transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm]))
    train_sampler = DistributedSampler(train_set, num_replicas=world_size, rank=rank, shuffle=True, drop_last=True)
    val_sampler = DistributedSampler(val_set, num_replicas=world_size, rank=rank, shuffle=False)
    train_loader = DataLoader(train_set, batch_size=batch_size, sampler=train_sampler,
                              num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=100, sampler=val_sampler, num_workers=8, pin_memory=True)
    return train_loader, val_loader, train_sampler


@torch.no_grad()
def validate(ddp_model, loader, device):
    ddp_model.eval()
    stats = torch.zeros(2, device=device)
    for images, labels in loader:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        preds = ddp_model(images).argmax(dim=1)
        stats[0] += (preds == labels).sum()
        stats[1] += labels.numel()
    dist.all_reduce(stats)
    return (stats[0] / stats[1]).item()


def main():
    args = parse_args()
    dist.init_process_group(backend="nccl")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    model = models.__dict__[args.arch](weights=None)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    ddp_model = DDP(model, device_ids=[local_rank], output_device=local_rank)

    train_loader, val_loader, train_sampler = build_loaders(args.data, args.batch_size, world_size, rank)
    lr = args.lr * args.batch_size * world_size / 256
    optimizer = torch.optim.SGD(ddp_model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30, 60, 80], gamma=0.1)

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        ddp_model.train()
        for images, labels in train_loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            loss = F.cross_entropy(ddp_model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()
        top1 = validate(ddp_model, val_loader, device)
        if rank == 0:
            print(f"epoch {epoch}: top1 {top1:.4f}")
            torch.save(ddp_model.module.state_dict(), f"{args.arch}_ep{epoch}.pt")

    if rank == 0:
        net = ddp_model.module
        net.eval()
        example = torch.randn(8, 3, 224, 224, device=device)
        with torch.no_grad():
            reference = net(example)
        torch.save({"state_dict": net.state_dict(), "example_logits": reference.cpu()}, f"{args.arch}_final.pt")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
