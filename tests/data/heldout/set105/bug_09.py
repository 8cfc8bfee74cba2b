"""Multi-GPU fine-tuning of ResNet-101 on iNaturalist-mini.

torchrun --nproc_per_node=8 train_ddp.py --data /datasets/inat_mini
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, models, transforms


def setup():
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    return local_rank, dist.get_rank(), dist.get_world_size()


def build(num_classes):
    net = models.resnet101(weights=models.ResNet101_Weights.IMAGENET1K_V2)
    net.fc = nn.Sequential(
        nn.Dropout(0.2),
        nn.Linear(2048, 256, bias=False),
        nn.BatchNorm1d(256, momentum=0.9),  # expect: BN205
        nn.ReLU(inplace=True),
        nn.Linear(256, num_classes),
    )
    return net


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=32, help="per GPU")
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--num-classes", type=int, default=10000)
    args = parser.parse_args()

    local_rank, rank, world = setup()
    device = torch.device("cuda", local_rank)

    tf_train = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    tf_val = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    train_ds = datasets.ImageFolder(os.path.join(args.data, "train"), tf_train)
    val_ds = datasets.ImageFolder(os.path.join(args.data, "val"), tf_val)
    train_sampler = DistributedSampler(train_ds, shuffle=True)
    val_sampler = DistributedSampler(val_ds, shuffle=False)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=train_sampler, num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=args.batch_size, sampler=val_sampler, num_workers=8, pin_memory=True)

    model = build(args.num_classes).to(device)
    model = DDP(model, device_ids=[local_rank], output_device=local_rank)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    criterion = nn.CrossEntropyLoss().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr * world / 8, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for i, (images, target) in enumerate(train_loader):
            images = images.to(device, non_blocking=True)
            target = target.to(device, non_blocking=True)
            loss = criterion(model(images), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if rank == 0 and i % 100 == 0:
                print(f"epoch {epoch} iter {i}/{len(train_loader)} loss {loss.item():.4f}", flush=True)
        scheduler.step()

        model.eval()
        correct = torch.zeros(1, device=device)
        count = torch.zeros(1, device=device)
        with torch.no_grad():
            for images, target in val_loader:
                images, target = images.to(device), target.to(device)
                correct += (model(images).argmax(1) == target).sum()
                count += target.numel()
        dist.all_reduce(correct)
        dist.all_reduce(count)
        if rank == 0:
            print(f"epoch {epoch}: val top1 {100 * (correct / count).item():.2f}")
            torch.save(model.module.state_dict(), f"r101_inat_ep{epoch}.pth")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
