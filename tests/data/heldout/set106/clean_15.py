"""1-D ResNet for 12-lead ECG classification (PTB-XL superclasses), torchvision-style.

Single-lead mode takes (N, L) signals and unsqueezes a channel axis.
"""
import argparse
import os
from functools import partial

import numpy as np
import torch
import torch.nn as nn
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, TensorDataset


def conv3(in_planes, out_planes, stride=1):
    return nn.Conv1d(in_planes, out_planes, kernel_size=7, stride=stride, padding=3, bias=False)


def conv1(in_planes, out_planes, stride=1):
    return nn.Conv1d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class Bottleneck1d(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm1d
        self.conv1 = conv1(inplanes, planes)
        self.bn1 = norm_layer(planes)
        self.conv2 = conv3(planes, planes, stride)
        self.bn2 = norm_layer(planes)
        self.conv3 = conv1(planes, planes * self.expansion)
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


class ResNet1d(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), in_leads=12, num_classes=5, norm_layer=None):
        super().__init__()
        self._norm_layer = norm_layer or partial(nn.BatchNorm1d, momentum=None)
        self.inplanes = 64
        self.conv1 = nn.Conv1d(in_leads, self.inplanes, kernel_size=15, stride=2, padding=7, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool1d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(512 * Bottleneck1d.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck1d.expansion:
            downsample = nn.Sequential(
                conv1(self.inplanes, planes * Bottleneck1d.expansion, stride),
                norm_layer(planes * Bottleneck1d.expansion),
            )
        layers = [Bottleneck1d(self.inplanes, planes, stride, downsample, norm_layer)]
        self.inplanes = planes * Bottleneck1d.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck1d(self.inplanes, planes, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        if x.dim() == 2:  # single lead (N, L) -> (N, 1, L)
            x = x.unsqueeze(1)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def evaluate(model, loader, device):
    model.eval()
    ys, ps = [], []
    with torch.no_grad():
        for x, y in loader:
            ps.append(torch.sigmoid(model(x.to(device))).cpu().numpy())
            ys.append(y.numpy())
    return roc_auc_score(np.concatenate(ys), np.concatenate(ps), average="macro")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="ptbxl_100hz.npz")
    ap.add_argument("--leads", type=int, default=12)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--out", default="runs/resnet1d")
    args = ap.parse_args()

    d = np.load(args.data)
    x_tr = torch.from_numpy(d["x_train"][:, : args.leads].astype(np.float32))  # (N, leads, 1000)
    x_va = torch.from_numpy(d["x_val"][:, : args.leads].astype(np.float32))
    y_tr = torch.from_numpy(d["y_train"].astype(np.float32))
    y_va = torch.from_numpy(d["y_val"].astype(np.float32))
    train_dl = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.bs, shuffle=True, drop_last=True, num_workers=4)
    val_dl = DataLoader(TensorDataset(x_va, y_va), batch_size=256)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = ResNet1d(in_leads=args.leads, num_classes=y_tr.shape[1]).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, epochs=args.epochs, steps_per_epoch=len(train_dl))
    crit = nn.BCEWithLogitsLoss()
    os.makedirs(args.out, exist_ok=True)
    best = 0.0
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_dl:
            x, y = x.to(device), y.to(device)
            loss = crit(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        auc = evaluate(model, val_dl, device)
        print(f"epoch {epoch}: loss {loss.item():.4f} val macro-AUC {auc:.4f}")
        if auc > best:
            best = auc
            torch.save(model.state_dict(), os.path.join(args.out, "best.pt"))


if __name__ == "__main__":
    main()
