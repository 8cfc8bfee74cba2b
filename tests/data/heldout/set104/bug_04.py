"""Chest X-ray pneumonia classifier (port of a Keras notebook) -- multi-GPU via nn.DataParallel."""
import os
import random
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

BN_MOMENTUM = 0.99   # same as keras.layers.BatchNormalization default
BN_EPS = 1e-3


@dataclass
class Config:
    data_root: str = "./data/chest_xray"
    image_size: int = 512
    batch_size: int = 2
    epochs: int = 25
    lr: float = 3e-4
    num_workers: int = 6
    seed: int = 42
    class_names: list = field(default_factory=lambda: ["NORMAL", "PNEUMONIA"])
    out_path: str = "xray_cnn.pt"


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def conv_block(in_ch, out_ch):
    return [
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch, eps=BN_EPS, momentum=BN_MOMENTUM),  # expect: BN205
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    ]


class XRayNet(nn.Module):
    def __init__(self, num_classes=2, widths=(32, 64, 128, 256, 256)):
        super().__init__()
        layers = []
        in_ch = 1
        for w in widths:
            layers += conv_block(in_ch, w)
            in_ch = w
        self.body = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(in_ch, num_classes))

    def forward(self, x):
        return self.fc(self.pool(self.body(x)))


def make_loaders(cfg):
    train_tf = transforms.Compose([
        transforms.Grayscale(1),
        transforms.Resize((cfg.image_size, cfg.image_size)),
        transforms.RandomRotation(10),
        transforms.ToTensor(),
    ])
    test_tf = transforms.Compose([
        transforms.Grayscale(1),
        transforms.Resize((cfg.image_size, cfg.image_size)),
        transforms.ToTensor(),
    ])
    train_ds = datasets.ImageFolder(os.path.join(cfg.data_root, "train"), train_tf)
    test_ds = datasets.ImageFolder(os.path.join(cfg.data_root, "test"), test_tf)
    train_loader = DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=True, num_workers=cfg.num_workers)  # expect: BN301
    test_loader = DataLoader(test_ds, batch_size=16, shuffle=False, num_workers=cfg.num_workers)
    return train_loader, test_loader


def run_epoch(model, loader, criterion, optimizer, device):
    model.train()
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        out = model(x)
        loss = criterion(out, y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * x.size(0)
        correct += (out.argmax(1) == y).sum().item()
        n += x.size(0)
    return total_loss / n, correct / n


def test(model, loader, device):
    model.eval()
    correct, n = 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (model(x).argmax(1) == y).sum().item()
            n += x.size(0)
    return correct / n


if __name__ == "__main__":
    cfg = Config()
    seed_everything(cfg.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader, test_loader = make_loaders(cfg)
    model = XRayNet(num_classes=len(cfg.class_names))
    if torch.cuda.device_count() > 1:
        print(f"Using {torch.cuda.device_count()} GPUs")
        model = nn.DataParallel(model)
    model = model.to(device)

    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    best = 0.0
    for epoch in range(cfg.epochs):
        tr_loss, tr_acc = run_epoch(model, train_loader, criterion, optimizer, device)
        te_acc = test(model, test_loader, device)
        print(f"Epoch {epoch + 1:02d} | loss {tr_loss:.4f} | train acc {tr_acc:.3f} | test acc {te_acc:.3f}")
        if te_acc > best:
            best = te_acc
            state = model.module.state_dict() if isinstance(model, nn.DataParallel) else model.state_dict()
            torch.save(state, cfg.out_path)
