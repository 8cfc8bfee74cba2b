"""Human Protein Atlas -- 4-channel (RGBY) ResNeXt-26 written from scratch so the
stem can take the yellow channel; BN eps/momentum configurable through a partial.
"""
import argparse
from collections import OrderedDict
from functools import partial

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset

NUM_CLASSES = 28
IN_CHANS = 4
STEM_WIDTH = 32


def conv3x3(in_planes, out_planes, stride=1, groups=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNeXt(nn.Module):
    def __init__(self, layers=(2, 2, 2, 2), groups=32, width_per_group=4, num_classes=NUM_CLASSES, norm_layer=nn.BatchNorm2d):
        super().__init__()
        self._norm_layer = norm_layer
        self.groups = groups
        self.base_width = width_per_group
        self.inplanes = 64
        self.stem = nn.Sequential(OrderedDict([
            ("conv1", conv3x3(IN_CHANS, STEM_WIDTH, stride=2)),
            ("bn1", norm_layer(STEM_WIDTH)),
            ("act1", nn.ReLU(inplace=True)),
            ("conv2", conv3x3(STEM_WIDTH, STEM_WIDTH)),
            ("bn2", norm_layer(STEM_WIDTH)),
            ("act2", nn.ReLU(inplace=True)),
            ("conv3", conv3x3(STEM_WIDTH, self.inplanes)),
            ("bn3", norm_layer(self.inplanes)),
            ("act3", nn.ReLU(inplace=True)),
            ("pool", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * Bottleneck.expansion, stride),
                norm_layer(planes * Bottleneck.expansion),
            )
        layers = []
        layers.append(Bottleneck(self.inplanes, planes, stride, downsample, self.groups, self.base_width, norm_layer))
        self.inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, groups=self.groups, base_width=self.base_width, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def get_model(cfg):
    norm = partial(nn.BatchNorm2d, eps=cfg.bn_eps, momentum=cfg.bn_momentum)
    return ResNeXt(norm_layer=norm)


class HPADataset(Dataset):
    def __init__(self, df, img_dir, size=512):
        self.ids = df.Id.values
        self.labels = np.zeros((len(df), NUM_CLASSES), dtype=np.float32)
        for i, t in enumerate(df.Target.values):
            self.labels[i, [int(v) for v in t.split()]] = 1.0
        self.img_dir = img_dir
        self.size = size

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        chans = [np.asarray(Image.open(f"{self.img_dir}/{self.ids[i]}_{c}.png").resize((self.size, self.size))) for c in ("red", "green", "blue", "yellow")]
        img = np.stack(chans).astype(np.float32) / 255.0
        return torch.from_numpy(img), torch.from_numpy(self.labels[i])


def focal_loss(logits, target, gamma=2.0):
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p = torch.exp(-bce)
    return ((1 - p) ** gamma * bce).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bn_eps", type=float, default=1e-5)
    ap.add_argument("--bn_momentum", type=float, default=0.1)
    ap.add_argument("--batch_size", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--fold", type=int, default=0)
    cfg = ap.parse_args()

    device = "cuda"
    df = pd.read_csv("../input/human-protein-atlas-image-classification/train_folds.csv")
    img_dir = "../input/human-protein-atlas-image-classification/train"
    trn_dl = DataLoader(HPADataset(df[df.fold != cfg.fold], img_dir), batch_size=cfg.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_dl = DataLoader(HPADataset(df[df.fold == cfg.fold], img_dir), batch_size=cfg.batch_size, shuffle=False, num_workers=8)

    model = get_model(cfg).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-5)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    for epoch in range(cfg.epochs):
        model.train()
        for x, y in trn_dl:
            loss = focal_loss(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()

        model.eval()
        preds, gts = [], []
        with torch.no_grad():
            for x, y in val_dl:
                preds.append(torch.sigmoid(model(x.to(device))).cpu().numpy())
                gts.append(y.numpy())
        acc = ((np.concatenate(preds) > 0.5) == np.concatenate(gts)).mean()
        print(f"epoch {epoch}: loss {loss.item():.4f} label-acc {acc:.4f}")
        torch.save(model.state_dict(), f"resnext26_hpa_fold{cfg.fold}.pth")


if __name__ == "__main__":
    main()
