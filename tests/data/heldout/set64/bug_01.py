"""Food-101 classifier: EfficientNet-lite style network trained from scratch.

Port of our TF training recipe (RMSProp, exponential LR decay, label smoothing).
"""
import argparse
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader


def conv_bn_act(in_ch, out_ch, kernel_size=3, stride=1, groups=1, act=True):
    layers = [
        nn.Conv2d(in_ch, out_ch, kernel_size, stride, kernel_size // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_ch, eps=1e-3, momentum=0.99),  # expect: BN205
    ]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class MBConv(nn.Module):
    def __init__(self, in_ch, out_ch, stride, expand):
        super().__init__()
        hidden = in_ch * expand
        self.use_res = stride == 1 and in_ch == out_ch
        layers = []
        if expand != 1:
            layers.append(conv_bn_act(in_ch, hidden, kernel_size=1))
        layers += [
            conv_bn_act(hidden, hidden, stride=stride, groups=hidden),
            conv_bn_act(hidden, out_ch, kernel_size=1, act=False),
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.block(x) if self.use_res else self.block(x)


class EfficientNetLite(nn.Module):
    # (expand, out_ch, repeats, stride)
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 40, 2, 2), (6, 80, 3, 2), (6, 112, 3, 1), (6, 192, 4, 2), (6, 320, 1, 1)]

    def __init__(self, num_classes=101, dropout=0.2):
        super().__init__()
        layers = [conv_bn_act(3, 32, stride=2)]
        in_ch = 32
        for expand, out_ch, repeats, stride in self.SETTINGS:
            for i in range(repeats):
                layers.append(MBConv(in_ch, out_ch, stride if i == 0 else 1, expand))
                in_ch = out_ch
        layers.append(conv_bn_act(in_ch, 1280, kernel_size=1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, num_classes))

    def forward(self, x):
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


class Trainer:
    def __init__(self, model, train_loader, val_loader, cfg):
        self.cfg = cfg
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.train_loader, self.val_loader = train_loader, val_loader
        self.optimizer = torch.optim.RMSprop(self.model.parameters(), lr=cfg["lr"], alpha=0.9,
                                             momentum=0.9, eps=1e-3, weight_decay=1e-5)
        self.scheduler = torch.optim.lr_scheduler.ExponentialLR(self.optimizer, gamma=0.97)
        self.scaler = torch.cuda.amp.GradScaler()
        self.history = []

    def train_epoch(self):
        self.model.train()
        total, loss_sum = 0, 0.0
        for images, labels in self.train_loader:
            images, labels = images.to(self.device), labels.to(self.device)
            with torch.autocast(device_type="cuda", dtype=torch.float16):
                loss = F.cross_entropy(self.model(images), labels, label_smoothing=0.1)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            loss_sum += loss.item() * labels.size(0)
            total += labels.size(0)
        return loss_sum / total

    @torch.no_grad()
    def validate(self):
        correct, total = 0, 0
        for images, labels in self.val_loader:
            images, labels = images.to(self.device), labels.to(self.device)
            with torch.autocast(device_type="cuda", dtype=torch.float16):
                logits = self.model(images)  # expect: BN101
            correct += (logits.argmax(dim=1) == labels).sum().item()
            total += labels.size(0)
        return correct / total

    def fit(self):
        best = 0.0
        for epoch in range(self.cfg["epochs"]):
            train_loss = self.train_epoch()
            if epoch % 2 == 1:
                self.scheduler.step()
            val_acc = self.validate()
            self.history.append({"epoch": epoch, "train_loss": train_loss, "val_acc": val_acc})
            print(f"epoch {epoch:03d} train_loss {train_loss:.4f} val_acc {val_acc:.4f}")
            if val_acc > best:
                best = val_acc
                torch.save(self.model.state_dict(), os.path.join(self.cfg["out_dir"], "best.pt"))
        with open(os.path.join(self.cfg["out_dir"], "history.json"), "w") as f:
            json.dump(self.history, f, indent=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="./data")
    parser.add_argument("--config", default=None, help="optional JSON overriding the defaults")
    args = parser.parse_args()
    cfg = {"epochs": 90, "batch_size": 128, "lr": 0.016, "out_dir": "runs/food101_lite"}
    if args.config:
        with open(args.config) as f:
            cfg.update(json.load(f))
    os.makedirs(cfg["out_dir"], exist_ok=True)

    norm = T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
    train_set = torchvision.datasets.Food101(args.data, split="train", download=True, transform=T.Compose(
        [T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.TrivialAugmentWide(), T.ToTensor(), norm]))
    val_set = torchvision.datasets.Food101(args.data, split="test", download=True, transform=T.Compose(
        [T.Resize(256), T.CenterCrop(224), T.ToTensor(), norm]))
    train_loader = DataLoader(train_set, batch_size=cfg["batch_size"], shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=256, num_workers=8)
    Trainer(EfficientNetLite(num_classes=101), train_loader, val_loader, cfg).fit()


if __name__ == "__main__":
    main()
