"""DDP training with SyncBatchNorm and in-loop evaluation that restores train mode."""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler


def build_model(num_classes):
    return nn.Sequential(
        nn.Conv2d(3, 48, 3, padding=1, bias=False),
        nn.BatchNorm2d(48),
        nn.ReLU(inplace=True),
        nn.Conv2d(48, 96, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(96),
        nn.ReLU(inplace=True),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(96, num_classes),
    )


def evaluate(model, loader, device):
    was_training = model.training
    model.eval()
    total_loss, count = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            total_loss += F.cross_entropy(model(x), y, reduction="sum").item()
            count += y.numel()
    model.train(was_training)
    return total_loss / max(count, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=32, help="per-GPU batch size")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--eval-interval", type=int, default=200)
    args = parser.parse_args()

    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    device = torch.device(f"cuda:{local_rank}")
    torch.cuda.set_device(device)

    train_set = torch.load("train_tensors.pt")
    val_set = torch.load("val_tensors.pt")
    train_sampler = DistributedSampler(train_set)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=train_sampler, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=64, sampler=DistributedSampler(val_set, shuffle=False))

    model = build_model(num_classes=200)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = DistributedDataParallel(model.to(device), device_ids=[local_rank])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1 * dist.get_world_size(), momentum=0.9)

    step = 0
    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            if step % args.eval_interval == 0:
                val_loss = evaluate(model, val_loader, device)
                if dist.get_rank() == 0:
                    print(f"step {step} train {loss.item():.4f} val {val_loss:.4f}")

    if dist.get_rank() == 0:
        torch.save(model.module.state_dict(), "ddp_final.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
