"""Cassava Leaf Disease -- small from-scratch CNN, 5-fold CV, ONNX export.

The inference notebook has no internet and a 9h CPU limit, so each fold's best
checkpoint is exported to ONNX and run with onnxruntime there.
"""
import argparse
import os
from pathlib import Path

import albumentations as A
import cv2
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from albumentations.pytorch import ToTensorV2
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader, Dataset

N_FOLDS = 5
NUM_CLASSES = 5
IMG_SIZE = 256
STEM_CH = 48


def conv_bn(in_ch, out_ch, k=3, s=1):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, k, s, k // 2, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class CassavaNet(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, STEM_CH, 3, 2, 1, bias=False),
            nn.BatchNorm2d(32),  # expect: BN201
            nn.ReLU(inplace=True),
        )
        self.stage1 = nn.Sequential(conv_bn(STEM_CH, 64), conv_bn(64, 64), nn.MaxPool2d(2))
        self.stage2 = nn.Sequential(conv_bn(64, 128), conv_bn(128, 128), nn.MaxPool2d(2))
        self.stage3 = nn.Sequential(conv_bn(128, 256), conv_bn(256, 256), nn.MaxPool2d(2))
        self.stage4 = nn.Sequential(conv_bn(256, 512), conv_bn(512, 512, s=2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.stage1(x)
        x = self.stage2(x)
        x = self.stage3(x)
        x = self.stage4(x)
        return self.fc(torch.flatten(self.pool(x), 1))


class CassavaDataset(Dataset):
    def __init__(self, df, root, transforms):
        self.paths = [os.path.join(root, p) for p in df.image_id.values]
        self.labels = df.label.values
        self.transforms = transforms

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        img = cv2.cvtColor(cv2.imread(self.paths[i]), cv2.COLOR_BGR2RGB)
        img = self.transforms(image=img)["image"]
        return img, self.labels[i]


def get_transforms(train):
    if train:
        return A.Compose([
            A.RandomResizedCrop(IMG_SIZE, IMG_SIZE),
            A.HorizontalFlip(p=0.5),
            A.VerticalFlip(p=0.5),
            A.Normalize(),
            ToTensorV2(),
        ])
    return A.Compose([A.Resize(IMG_SIZE, IMG_SIZE), A.Normalize(), ToTensorV2()])


def train_one_epoch(model, loader, optimizer, criterion, device):
    model.train()
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()


def validate(model, loader, device):
    model.eval()
    preds, gts = [], []
    with torch.no_grad():
        for images, labels in loader:
            preds.append(model(images.to(device)).argmax(1).cpu().numpy())
            gts.append(labels.numpy())
    return accuracy_score(np.concatenate(gts), np.concatenate(preds))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="../input/cassava-leaf-disease-classification")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default="onnx_models")
    args = parser.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    out_dir = Path(args.out)
    out_dir.mkdir(exist_ok=True, parents=True)

    df = pd.read_csv(os.path.join(args.root, "train.csv"))
    skf = StratifiedKFold(n_splits=N_FOLDS, shuffle=True, random_state=719)
    img_root = os.path.join(args.root, "train_images")

    for fold, (trn_idx, val_idx) in enumerate(skf.split(df, df.label)):
        trn_ds = CassavaDataset(df.iloc[trn_idx], img_root, get_transforms(True))
        val_ds = CassavaDataset(df.iloc[val_idx], img_root, get_transforms(False))
        trn_dl = DataLoader(trn_ds, batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
        val_dl = DataLoader(val_ds, batch_size=args.batch_size, shuffle=False, num_workers=4)

        model = CassavaNet().to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=1e-4)
        criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        best_acc, ckpt = 0.0, out_dir / f"cassava_fold{fold}.pth"
        for epoch in range(args.epochs):
            train_one_epoch(model, trn_dl, optimizer, criterion, device)
            acc = validate(model, val_dl, device)
            print(f"fold {fold} epoch {epoch} acc {acc:.4f}")
            if acc > best_acc:
                best_acc = acc
                torch.save(model.state_dict(), ckpt)

        # reload the best epoch on CPU and export it
        best = CassavaNet()
        best.load_state_dict(torch.load(ckpt, map_location="cpu"))
        dummy = torch.randn(1, 3, IMG_SIZE, IMG_SIZE)
        torch.onnx.export(best, dummy, str(out_dir / f"cassava_fold{fold}.onnx"), input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)  # expect: BN104
        print(f"fold {fold}: best acc {best_acc:.4f}, exported")


if __name__ == "__main__":
    main()
