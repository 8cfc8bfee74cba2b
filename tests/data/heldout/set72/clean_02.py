"""DeepLabV3 semantic segmentation, multi-GPU with SyncBatchNorm and mixed precision.

Launch: torchrun --nproc_per_node=8 clean_02.py --data /datasets/cityscapes
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler
from torchvision.models import resnet50

from segdata import CityscapesSegmentation  # project-local dataset module


class ASPPConv(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int, dilation: int):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class ASPPPooling(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    def __init__(self, in_channels: int, rates=(12, 24, 36), out_channels: int = 256):
        super().__init__()
        branches = [nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                  nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))]
        branches += [ASPPConv(in_channels, out_channels, r) for r in rates]
        branches.append(ASPPPooling(in_channels, out_channels))
        self.branches = nn.ModuleList(branches)
        self.project = nn.Sequential(
            nn.Conv2d(len(branches) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
        )

    def forward(self, x):
        return self.project(torch.cat([b(x) for b in self.branches], dim=1))


class DeepLabV3(nn.Module):
    def __init__(self, num_classes: int, pretrained_backbone: str | None = None):
        super().__init__()
        backbone = resnet50(weights=None, replace_stride_with_dilation=[False, True, True])
        if pretrained_backbone:
            backbone.load_state_dict(torch.load(pretrained_backbone, map_location="cpu"))
        self.backbone = nn.Sequential(*list(backbone.children())[:-2])
        self.head = nn.Sequential(
            ASPP(2048),
            nn.Conv2d(256, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, num_classes, 1),
        )

    def forward(self, x):
        size = x.shape[-2:]
        return F.interpolate(self.head(self.backbone(x)), size=size, mode="bilinear", align_corners=False)


def poly_lr(optimizer, base_lr, it, max_it, power=0.9):
    lr = base_lr * (1 - it / max_it) ** power
    for group in optimizer.param_groups:
        group["lr"] = lr


def train_one_epoch(model, loader, optimizer, scaler, device, epoch, base_lr, max_it, ignore_index=255):
    model.train()
    for i, (images, masks) in enumerate(loader):
        poly_lr(optimizer, base_lr, epoch * len(loader) + i, max_it)
        images, masks = images.to(device, non_blocking=True), masks.to(device, non_blocking=True)
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            logits = model(images)
            loss = F.cross_entropy(logits, masks, ignore_index=ignore_index)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if i % 50 == 0 and dist.get_rank() == 0:
            print(f"epoch {epoch} it {i}/{len(loader)} loss {loss.item():.4f}")


@torch.no_grad()
def evaluate(model, loader, device, num_classes, ignore_index=255):
    model.eval()
    confmat = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=device)
    for images, masks in loader:
        images, masks = images.to(device), masks.to(device)
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            preds = model(images).argmax(dim=1)
        valid = masks != ignore_index
        idx = masks[valid] * num_classes + preds[valid]
        confmat += torch.bincount(idx, minlength=num_classes ** 2).reshape(num_classes, num_classes)
    dist.all_reduce(confmat)
    iou = confmat.diag().float() / (confmat.sum(0) + confmat.sum(1) - confmat.diag()).clamp(min=1).float()
    return iou.mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--num-classes", type=int, default=19)
    parser.add_argument("--batch-size", type=int, default=8, help="per GPU")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--backbone", default=None)
    parser.add_argument("--out", default="checkpoints/deeplabv3.pth")
    args = parser.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    train_set = CityscapesSegmentation(args.data, split="train", crop_size=768)
    val_set = CityscapesSegmentation(args.data, split="val")
    train_sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=train_sampler,
                              num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=4, sampler=DistributedSampler(val_set, shuffle=False),
                            num_workers=4)

    model = DeepLabV3(args.num_classes, args.backbone)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model).to(device)
    model = DDP(model, device_ids=[local_rank])

    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    scaler = torch.cuda.amp.GradScaler()
    max_it = args.epochs * len(train_loader)
    best_miou = 0.0
    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        train_one_epoch(model, train_loader, optimizer, scaler, device, epoch, args.lr, max_it)
        if (epoch + 1) % 10 == 0:
            miou = evaluate(model, val_loader, device, args.num_classes)
            if dist.get_rank() == 0:
                print(f"epoch {epoch}: mIoU {miou:.4f}")
                if miou > best_miou:
                    best_miou = miou
                    torch.save(model.module.state_dict(), args.out)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
