"""Transfer learning on iNaturalist subsets: frozen ImageNet backbone + trainable head, DDP.

The frozen backbone is kept in eval mode *including* its BatchNorm layers, so
the ImageNet running statistics are not overwritten by the new data.
"""
import argparse
import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import transforms


class FrozenBackboneClassifier(nn.Module):
    def __init__(self, num_classes, freeze_backbone=True):
        super().__init__()
        backbone = torchvision.models.resnet50(weights="IMAGENET1K_V2")
        feat_dim = backbone.fc.in_features
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.freeze_backbone = freeze_backbone
        self.head = nn.Sequential(
            nn.Linear(feat_dim, 1024, bias=False),
            nn.BatchNorm1d(1024),
            nn.ReLU(inplace=True),
            nn.Dropout(0.2),
            nn.Linear(1024, num_classes),
        )
        if freeze_backbone:
            self.backbone.requires_grad_(False)
        # puts the backbone (and its BN layers) into eval mode right away
        self.train()

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_backbone:
            # frozen layers always behave as in inference, BN running stats stay fixed
            self.backbone.eval()
        return self

    def forward(self, x):
        return self.head(self.backbone(x))


def validate(model, loader, device):
    model.eval()
    stats = torch.zeros(3, device=device)
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            logits = model(images)
            stats[0] += F.cross_entropy(logits, labels, reduction="sum")
            stats[1] += (logits.argmax(1) == labels).sum()
            stats[2] += labels.numel()
    dist.all_reduce(stats)
    return (stats[0] / stats[2]).item(), (stats[1] / stats[2]).item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/data/inat_birds")
    ap.add_argument("--num-classes", type=int, default=1486)
    ap.add_argument("--batch-size", type=int, default=48, help="per GPU")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--out", default="inat_head.pth")
    args = ap.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    is_master = dist.get_rank() == 0

    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_ds = torchvision.datasets.ImageFolder(os.path.join(args.root, "train"), transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    val_ds = torchvision.datasets.ImageFolder(os.path.join(args.root, "val"), transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm]))
    train_sampler = DistributedSampler(train_ds)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=train_sampler, num_workers=10, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=args.batch_size * 2, sampler=DistributedSampler(val_ds, shuffle=False), num_workers=10)

    model = FrozenBackboneClassifier(args.num_classes).to(device)
    model = DDP(model, device_ids=[local_rank])
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(train_loader))

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()          # FrozenBackboneClassifier.train keeps the backbone in eval
        t0 = time.time()
        for images, labels in train_loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        val_loss, val_acc = validate(model, val_loader, device)
        if is_master:
            print(f"epoch {epoch}: val loss {val_loss:.3f} acc {val_acc:.4f} [{time.time() - t0:.0f}s]")
            torch.save(model.module.head.state_dict(), args.out)

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
