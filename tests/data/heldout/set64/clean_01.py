"""CIFAR-100 training of a bottleneck ResNet with AMP and a weight EMA.

Usage:
    python train_cifar.py --data ./data --epochs 200 --batch-size 128 --amp
"""
import argparse
import copy
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader

CIFAR_MEAN = (0.5071, 0.4865, 0.4409)
CIFAR_STD = (0.2673, 0.2564, 0.2762)


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
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


class CifarResNet(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), num_classes=100):
        super().__init__()
        self.inplanes = 64
        self.conv1 = conv3x3(3, self.inplanes)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, Bottleneck):
                nn.init.zeros_(m.bn3.weight)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * Bottleneck.expansion, stride),
                nn.BatchNorm2d(planes * Bottleneck.expansion),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


class ModelEma:
    """Keeps an exponential moving average of model weights (and BN buffers)."""

    def __init__(self, model, decay=0.9998):
        self.module = copy.deepcopy(model)
        self.module.eval()
        self.decay = decay
        for p in self.module.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        model_state = model.state_dict()
        for name, ema_v in self.module.state_dict().items():
            model_v = model_state[name].detach()
            if ema_v.dtype.is_floating_point:
                ema_v.mul_(self.decay).add_(model_v, alpha=1.0 - self.decay)
            else:
                ema_v.copy_(model_v)


class Trainer:
    def __init__(self, model, train_loader, val_loader, args):
        self.args = args
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.ema = ModelEma(self.model, decay=args.ema_decay)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=args.lr, momentum=0.9,
                                         weight_decay=5e-4, nesterov=True)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=len(train_loader))
        self.scaler = torch.cuda.amp.GradScaler(enabled=args.amp)
        self.best_acc = 0.0

    def train_one_epoch(self, epoch):
        self.model.train()
        running, seen, start = 0.0, 0, time.time()
        for images, targets in self.train_loader:
            images = images.to(self.device, non_blocking=True)
            targets = targets.to(self.device, non_blocking=True)
            with torch.autocast(device_type=self.device.type, dtype=torch.float16, enabled=self.args.amp):
                logits = self.model(images)
                loss = self.criterion(logits, targets)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            self.ema.update(self.model)
            running += loss.item() * images.size(0)
            seen += images.size(0)
        print(f"epoch {epoch}: loss {running / seen:.4f} ({time.time() - start:.0f}s)")

    @torch.no_grad()
    def validate(self, model=None):
        model = self.model if model is None else model
        model.eval()
        correct, total, loss_sum = 0, 0, 0.0
        for images, targets in self.val_loader:
            images = images.to(self.device, non_blocking=True)
            targets = targets.to(self.device, non_blocking=True)
            with torch.autocast(device_type=self.device.type, dtype=torch.float16, enabled=self.args.amp):
                logits = model(images)
            loss_sum += F.cross_entropy(logits.float(), targets, reduction="sum").item()
            correct += (logits.argmax(dim=1) == targets).sum().item()
            total += targets.numel()
        return 100.0 * correct / total, loss_sum / total

    def fit(self):
        for epoch in range(self.args.epochs):
            self.train_one_epoch(epoch)
            top1, val_loss = self.validate()
            ema_top1, _ = self.validate(self.ema.module)
            print(f"  val top1 {top1:.2f} (ema {ema_top1:.2f}) loss {val_loss:.4f}")
            if max(top1, ema_top1) > self.best_acc:
                self.best_acc = max(top1, ema_top1)
                torch.save({"model": self.model.state_dict(), "ema": self.ema.module.state_dict(),
                            "epoch": epoch, "acc": self.best_acc},
                           os.path.join(self.args.out_dir, "best.pth"))


def get_loaders(args):
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                          T.ToTensor(), T.Normalize(CIFAR_MEAN, CIFAR_STD)])
    val_tf = T.Compose([T.ToTensor(), T.Normalize(CIFAR_MEAN, CIFAR_STD)])
    train_set = torchvision.datasets.CIFAR100(args.data, train=True, download=True, transform=train_tf)
    val_set = torchvision.datasets.CIFAR100(args.data, train=False, download=True, transform=val_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers, pin_memory=True)
    val_loader = DataLoader(val_set, batch_size=256, shuffle=False, num_workers=args.workers)
    return train_loader, val_loader


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="./data")
    parser.add_argument("--out-dir", default="./runs/cifar100")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--ema-decay", type=float, default=0.9998)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--amp", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    train_loader, val_loader = get_loaders(args)
    trainer = Trainer(CifarResNet(num_classes=100), train_loader, val_loader, args)
    trainer.fit()


if __name__ == "__main__":
    main()
