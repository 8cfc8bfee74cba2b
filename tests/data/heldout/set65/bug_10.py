"""Fine-tune ResNet-50 on a high-resolution plant-disease dataset, 8 GPUs.

torchrun --nproc_per_node=8 finetune_plants.py --data /datasets/plants
Images are 512x512, so only a few fit on each GPU.
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


def get_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=str, default="/datasets/plants")
    parser.add_argument("--batch-size", type=int, default=4, help="images per GPU")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--num-classes", type=int, default=38)
    return parser.parse_args()


class PlantNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        backbone = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.head = nn.Sequential(
            nn.Linear(2048, 512, bias=False),
            nn.BatchNorm1d(512, momentum=0.9),  # expect: BN205
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(512, num_classes),
        )

    def forward(self, x):
        return self.head(self.backbone(x))


def main():
    args = get_args()
    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)

    tf_train = transforms.Compose([
        transforms.RandomResizedCrop(512, scale=(0.6, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    tf_val = transforms.Compose([
        transforms.Resize(544),
        transforms.CenterCrop(512),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    train_ds = datasets.ImageFolder(os.path.join(args.data, "train"), tf_train)
    val_ds = datasets.ImageFolder(os.path.join(args.data, "val"), tf_val)
    train_sampler = DistributedSampler(train_ds)
    val_sampler = DistributedSampler(val_ds, shuffle=False)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=train_sampler, num_workers=6, pin_memory=True, drop_last=True)  # expect: BN301, BN304
    val_loader = DataLoader(val_ds, batch_size=16, sampler=val_sampler, num_workers=6)

    model = PlantNet(args.num_classes).cuda(local_rank)
    model = DDP(model, device_ids=[local_rank])
    criterion = nn.CrossEntropyLoss().cuda(local_rank)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for images, target in train_loader:
            images = images.cuda(local_rank, non_blocking=True)
            target = target.cuda(local_rank, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = criterion(model(images), target)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()

        model.eval()
        correct = torch.tensor(0.0, device=local_rank)
        seen = torch.tensor(0.0, device=local_rank)
        with torch.no_grad():
            for images, target in val_loader:
                images = images.cuda(local_rank, non_blocking=True)
                target = target.cuda(local_rank, non_blocking=True)
                correct += (model(images).argmax(1) == target).sum()
                seen += target.numel()
        dist.all_reduce(correct)
        dist.all_reduce(seen)
        if rank == 0:
            print(f"epoch {epoch}: val acc {(correct / seen).item():.4f}")
            torch.save(model.module.state_dict(), f"plantnet_e{epoch}.pt")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
