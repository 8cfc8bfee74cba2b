"""Retinal fundus grading (5 classes) with a ResNet-50 trunk and an embedding head."""
import argparse
import os

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
import torchvision.transforms as T


def conv3x3(in_planes, out_planes, stride=1, groups=1):
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, norm_layer=nn.BatchNorm2d):
        super().__init__()
        width = planes
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes)  # expect: BN201
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class FundusNet(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), num_classes=5, embed_dim=256):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64, 0.1)  # expect: BN206
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.embedding = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(512 * Bottleneck.expansion, embed_dim, bias=False),
            nn.BatchNorm2d(embed_dim),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Dropout(0.25),
        )
        self.classifier = nn.Linear(embed_dim, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * Bottleneck.expansion, stride),
                                       nn.BatchNorm2d(planes * Bottleneck.expansion))
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.classifier(self.embedding(x))


class FundusCSV(Dataset):
    def __init__(self, csv_path, image_dir, transform):
        self.df = pd.read_csv(csv_path)
        self.image_dir = image_dir
        self.transform = transform

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        img = Image.open(os.path.join(self.image_dir, f"{row.id_code}.png")).convert("RGB")
        return self.transform(img), int(row.diagnosis)


def quadratic_kappa(y_true, y_pred, n=5):
    conf = torch.zeros(n, n)
    for t, p in zip(y_true, y_pred):
        conf[t, p] += 1
    w = torch.tensor([[(i - j) ** 2 for j in range(n)] for i in range(n)], dtype=torch.float) / (n - 1) ** 2
    expected = torch.outer(conf.sum(1), conf.sum(0)) / conf.sum()
    return 1 - (w * conf).sum() / (w * expected).sum()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="./aptos2019")
    ap.add_argument("--batch-size", type=int, default=24)
    ap.add_argument("--epochs", type=int, default=25)
    args = ap.parse_args()
    device = torch.device("cuda")
    norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_ds = FundusCSV(f"{args.root}/train_split.csv", f"{args.root}/train_images", T.Compose(
        [T.RandomResizedCrop(384, scale=(0.8, 1.0)), T.RandomRotation(180), T.ToTensor(), norm]))
    val_ds = FundusCSV(f"{args.root}/val_split.csv", f"{args.root}/train_images",
                       T.Compose([T.Resize(384), T.CenterCrop(384), T.ToTensor(), norm]))
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=64, num_workers=8)

    model = FundusNet().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.05)
    best_kappa = -1.0
    for epoch in range(args.epochs):
        model.train()
        for images, grades in train_loader:
            images, grades = images.to(device), grades.to(device)
            loss = F.cross_entropy(model(images), grades)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        preds, targets = [], []
        with torch.no_grad():
            for images, grades in val_loader:
                preds += model(images.to(device)).argmax(1).cpu().tolist()
                targets += grades.tolist()
        kappa = quadratic_kappa(targets, preds).item()
        print(f"epoch {epoch}: loss {loss.item():.4f} val QWK {kappa:.4f}")
        if kappa > best_kappa:
            best_kappa = kappa
            torch.save(model.state_dict(), "fundus_r50.pth")


if __name__ == "__main__":
    main()
