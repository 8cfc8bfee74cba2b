"""RANZCR CLiP -- ResNet200d, 1 warm-up epoch with frozen backbone, BN statistics of the
pretrained backbone kept frozen during the whole fine-tuning (batch of 8 at 640px).

Same idea as mmdetection's `norm_eval=True`: `train()` is overridden so that every
call to `model.train()` puts the backbone BatchNorms straight back into eval mode.
"""
import argparse
import os

import cv2
import numpy as np
import pandas as pd
import timm
import torch
import torch.nn as nn
from sklearn.metrics import roc_auc_score
from torch.cuda.amp import GradScaler, autocast
from torch.utils.data import DataLoader, Dataset

TARGETS = ["ETT - Abnormal", "ETT - Borderline", "ETT - Normal", "NGT - Abnormal", "NGT - Borderline",
           "NGT - Incompletely Imaged", "NGT - Normal", "CVC - Abnormal", "CVC - Borderline", "CVC - Normal",
           "Swan Ganz Catheter Present"]


class RanzcrNet(nn.Module):
    def __init__(self, name="resnet200d", pretrained=True, norm_eval=True):
        super().__init__()
        self.norm_eval = norm_eval
        self.backbone = timm.create_model(name, pretrained=pretrained, num_classes=0, global_pool="avg")
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(self.backbone.num_features, len(TARGETS)))
        if norm_eval:
            for m in self.backbone.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.weight.requires_grad_(False)
                    m.bias.requires_grad_(False)

    def train(self, mode=True):
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.backbone.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    def forward(self, x):
        return self.head(self.backbone(x))


class XrayDataset(Dataset):
    def __init__(self, df, img_dir, size, train):
        self.paths = [os.path.join(img_dir, f"{uid}.jpg") for uid in df.StudyInstanceUID]
        self.labels = df[TARGETS].values.astype(np.float32)
        self.size = size
        self.train = train

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        img = cv2.imread(self.paths[i], cv2.IMREAD_GRAYSCALE)
        img = cv2.resize(img, (self.size, self.size))
        if self.train and np.random.rand() < 0.5:
            img = img[:, ::-1]
        img = np.repeat(img[None].astype(np.float32) / 255.0, 3, axis=0)
        return torch.from_numpy(img.copy()), torch.from_numpy(self.labels[i])


def set_backbone_grad(model, flag):
    for p in model.backbone.parameters():
        p.requires_grad = flag
    if not flag:
        return
    # BN affine params stay frozen even after the warm-up (norm_eval)
    for m in model.backbone.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.weight.requires_grad = False
            m.bias.requires_grad = False


def train_one_epoch(model, loader, optimizer, scaler, device):
    model.train()
    losses = []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        with autocast():
            loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    return float(np.mean(losses))


def valid_one_epoch(model, loader, device):
    model.eval()
    probs, gts = [], []
    with torch.no_grad():
        for x, y in loader:
            probs.append(model(x.to(device)).sigmoid().cpu().numpy())
            gts.append(y.numpy())
    probs, gts = np.concatenate(probs), np.concatenate(gts)
    return np.mean([roc_auc_score(gts[:, i], probs[:, i]) for i in range(len(TARGETS))])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../input/ranzcr-clip-catheter-line-classification")
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--batch_size", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--warmup_epochs", type=int, default=1)
    args = ap.parse_args()

    device = torch.device("cuda")
    df = pd.read_csv(os.path.join(args.data, "train_folds.csv"))
    img_dir = os.path.join(args.data, "train")
    train_loader = DataLoader(XrayDataset(df[df.fold != args.fold], img_dir, args.size, True), batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    valid_loader = DataLoader(XrayDataset(df[df.fold == args.fold], img_dir, args.size, False), batch_size=args.batch_size * 2, shuffle=False, num_workers=8)

    model = RanzcrNet().to(device)
    set_backbone_grad(model, False)
    optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-3)
    scaler = GradScaler()

    best = 0.0
    for epoch in range(args.epochs):
        if epoch == args.warmup_epochs:
            set_backbone_grad(model, True)
            optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=2e-4)
        loss = train_one_epoch(model, train_loader, optimizer, scaler, device)
        auc = valid_one_epoch(model, valid_loader, device)
        print(f"epoch {epoch}: loss {loss:.4f} auc {auc:.4f}")
        if auc > best:
            best = auc
            torch.save(model.state_dict(), f"resnet200d_fold{args.fold}.pth")


if __name__ == "__main__":
    main()
