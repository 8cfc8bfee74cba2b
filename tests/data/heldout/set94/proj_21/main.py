"""torchrun --nproc_per_node=8 main.py --arch resnet50 --data /data/inat"""
import argparse
import os

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

from ddp_trainer import Trainer
from models import create_model


def get_parser():
    p = argparse.ArgumentParser("distributed fine-grained classification")
    p.add_argument("--data", default="/data/inat")
    p.add_argument("--arch", default="resnet50")
    p.add_argument("--num-classes", type=int, default=1010)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=16, help="per GPU")
    p.add_argument("--lr", type=float, default=0.2)
    p.add_argument("--wd", type=float, default=1e-4)
    p.add_argument("--bn-momentum", type=float, default=0.1)
    p.add_argument("--workers", type=int, default=10)
    p.add_argument("--out", default="runs/inat")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--seed", type=int, default=17)
    return p


def seed_everything(seed, rank):
    import random

    import numpy as np
    random.seed(seed + rank)
    np.random.seed(seed + rank)
    torch.manual_seed(seed + rank)
    torch.cuda.manual_seed_all(seed + rank)


def describe_run(args, world_size):
    global_batch = args.batch_size * world_size
    lines = [f"arch={args.arch} classes={args.num_classes} epochs={args.epochs}",
             f"per-GPU batch={args.batch_size} x {world_size} GPUs = {global_batch}",
             f"lr={args.lr} wd={args.wd} bn_momentum={args.bn_momentum}"]
    return "\n".join(lines)


def datasets_for(root):
    norm = transforms.Normalize([0.466, 0.471, 0.380], [0.195, 0.194, 0.192])
    train = datasets.ImageFolder(os.path.join(root, "train"), transforms.Compose([
        transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), norm]))
    val = datasets.ImageFolder(os.path.join(root, "val"), transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm]))
    return train, val


def main():
    args = get_parser().parse_args()
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    seed_everything(args.seed, dist.get_rank())
    if dist.get_rank() == 0:
        print(describe_run(args, dist.get_world_size()))

    train_set, val_set = datasets_for(args.data)
    loaders = {
        "train": DataLoader(train_set, batch_size=args.batch_size,
                            sampler=DistributedSampler(train_set), num_workers=args.workers,
                            pin_memory=True, drop_last=True),
        "val": DataLoader(val_set, batch_size=64, sampler=DistributedSampler(val_set, shuffle=False),
                          num_workers=args.workers),
    }
    model = create_model(args.arch, args.num_classes, bn_momentum=args.bn_momentum)
    trainer = Trainer(model, loaders, args, local_rank)
    best = trainer.fit()
    if dist.get_rank() == 0:
        print(f"best top-1: {best:.4f}")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
