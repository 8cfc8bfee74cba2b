"""Partial fine-tuning of a ViT-S/16 (timm) on RESISC45.

The transformer trunk is LayerNorm-only, so freezing most of it while the
module runs in train mode is safe; only the last two blocks and the new
BatchNorm-MLP head are trained.
"""
import argparse
import os

import timm
import torch
import torch.nn as nn
from timm.data import create_transform, resolve_data_config
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder

ARCH = "vit_small_patch16_224.augreg_in21k_ft_in1k"
UNFROZEN_BLOCKS = 2


class ViTProbe(nn.Module):
    def __init__(self, num_classes, hidden=256):
        super().__init__()
        self.vit = timm.create_model(ARCH, pretrained=True, num_classes=0)
        dim = self.vit.num_features  # 384
        for p in self.vit.parameters():
            p.requires_grad = False
        for blk in self.vit.blocks[-UNFROZEN_BLOCKS:]:
            blk.requires_grad_(True)
        self.vit.norm.requires_grad_(True)
        self.head = nn.Sequential(
            nn.Linear(dim, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.GELU(),
            nn.Dropout(0.1),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.head(self.vit(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/data/NWPU-RESISC45-split")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=5e-4)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_set = ImageFolder(os.path.join(args.root, "train"))
    model = ViTProbe(num_classes=len(train_set.classes)).to(device)
    data_cfg = resolve_data_config({}, model=model.vit)
    train_set.transform = create_transform(**data_cfg, is_training=True)
    val_set = ImageFolder(os.path.join(args.root, "val"), transform=create_transform(**data_cfg))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=args.batch_size, num_workers=8)

    trainable = [p for p in model.parameters() if p.requires_grad]
    print(f"trainable params: {sum(p.numel() for p in trainable) / 1e6:.2f}M")
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(train_loader))
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()

        model.eval()
        correct = seen = 0
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device)
                correct += (model(x).argmax(-1) == y).sum().item()
                seen += y.numel()
        print(f"epoch {epoch}: loss {loss.item():.4f} val acc {correct / seen:.4f}")

    torch.save({k: v for k, v in model.state_dict().items()}, "vit_s_resisc45.pth")


if __name__ == "__main__":
    main()
