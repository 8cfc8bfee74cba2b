import argparse
import math
import os

import pandas as pd
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms as T


class CsvImageDataset(Dataset):
    def __init__(self, csv_path, img_root, tfm):
        self.df = pd.read_csv(csv_path)
        self.img_root = img_root
        self.tfm = tfm

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        img = Image.open(os.path.join(self.img_root, row["filename"])).convert("RGB")
        return self.tfm(img), int(row["grade"])


class GradingNet(nn.Module):
    """Retinopathy grading: timm feature extractor + conv neck + GeM + linear head."""

    def __init__(self, backbone="resnet50d", num_classes=5, pretrained=True):
        super().__init__()
        self.encoder = timm.create_model(backbone, pretrained=pretrained, features_only=True, out_indices=(4,))
        ch = self.encoder.feature_info.channels()[-1]
        self.neck = nn.Sequential(
            nn.Conv2d(ch, 512, kernel_size=1, bias=False),
            nn.BatchNorm2d(512),
            nn.ReLU(inplace=True),
            nn.Conv2d(512, 256, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(512),  # expect: BN201
            nn.ReLU(inplace=True),
        )
        self.p = nn.Parameter(torch.ones(1) * 3.0)
        self.fc = nn.Linear(256, num_classes)

    def gem(self, x, eps=1e-6):
        return F.avg_pool2d(x.clamp(min=eps).pow(self.p), x.shape[-2:]).pow(1.0 / self.p)

    def forward(self, x):
        feat = self.encoder(x)[-1]
        feat = self.neck(feat)
        return self.fc(self.gem(feat).flatten(1))


def get_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-csv", default="data/train.csv")
    ap.add_argument("--val-csv", default="data/val.csv")
    ap.add_argument("--img-root", default="data/images")
    ap.add_argument("--backbone", default="resnet50d")
    ap.add_argument("--img-size", type=int, default=384)
    ap.add_argument("--bs", type=int, default=24)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--warmup", type=int, default=1)
    return ap.parse_args()


def main():
    args = get_args()
    dev = torch.device("cuda")
    norm = T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_tfm = T.Compose([T.RandomResizedCrop(args.img_size, scale=(0.7, 1.0)), T.RandomHorizontalFlip(),
                           T.RandomRotation(20), T.ToTensor(), norm])
    val_tfm = T.Compose([T.Resize(args.img_size), T.CenterCrop(args.img_size), T.ToTensor(), norm])

    train_dl = DataLoader(CsvImageDataset(args.train_csv, args.img_root, train_tfm), batch_size=args.bs,
                          shuffle=True, num_workers=8, drop_last=True, pin_memory=True)
    val_dl = DataLoader(CsvImageDataset(args.val_csv, args.img_root, val_tfm), batch_size=args.bs * 2,
                        num_workers=8)

    model = GradingNet(args.backbone).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    total = args.epochs * len(train_dl)
    warm = args.warmup * len(train_dl)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / (total - warm))))

    best_kappa_proxy = -1.0
    model.train()
    for epoch in range(1, args.epochs + 1):
        run = 0.0
        for step, (x, y) in enumerate(train_dl):
            x, y = x.to(dev, non_blocking=True), y.to(dev, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            run += loss.item()
            if step % 50 == 0:
                print(f"ep{epoch} step{step} loss {loss.item():.4f}")

        # ---- validation ----
        model.eval()  # expect: BN103
        abs_err = n = correct = 0
        with torch.no_grad():
            for x, y in val_dl:
                pred = model(x.to(dev)).argmax(1).cpu()
                correct += (pred == y).sum().item()
                abs_err += (pred - y).abs().sum().item()
                n += y.numel()
        acc, mae = correct / n, abs_err / n
        score = acc - 0.5 * mae
        print(f"epoch {epoch}: train_loss {run / len(train_dl):.4f} acc {acc:.4f} mae {mae:.4f}")
        if score > best_kappa_proxy:
            best_kappa_proxy = score
            torch.save(model.state_dict(), f"grading_{args.backbone}_best.pt")


if __name__ == "__main__":
    main()
