"""CIFAR-100 ResNet training with AMP, model EMA and resumable checkpoints."""
import argparse
import copy
from functools import partial
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        self.conv1, self.bn1 = conv1x1(inplanes, planes), norm_layer(planes)
        self.conv2, self.bn2 = conv3x3(planes, planes, stride), norm_layer(planes)
        self.conv3, self.bn3 = conv1x1(planes, planes * self.expansion), norm_layer(planes * self.expansion)
        self.downsample = None
        if stride != 1 or inplanes != planes * self.expansion:
            self.downsample = nn.Sequential(conv1x1(inplanes, planes * self.expansion, stride),
                                            norm_layer(planes * self.expansion))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class CifarResNet(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), num_classes=100, norm_layer=partial(nn.BatchNorm2d, momentum=0.05)):
        super().__init__()
        self.inplanes = 64
        self.norm_layer = norm_layer
        self.stem = nn.Sequential(conv3x3(3, 64), norm_layer(64), nn.ReLU(inplace=True))
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        layers = [Bottleneck(self.inplanes, planes, stride, self.norm_layer)]
        self.inplanes = planes * Bottleneck.expansion
        layers += [Bottleneck(self.inplanes, planes, norm_layer=self.norm_layer) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class ModelEma(nn.Module):
    def __init__(self, model: nn.Module, decay=0.9998):
        super().__init__()
        self.module = copy.deepcopy(model).eval()
        self.module.requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, model: nn.Module):
        ema_state = self.module.state_dict()
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                ema_state[k].mul_(self.decay).add_(v.detach(), alpha=1 - self.decay)
            else:
                ema_state[k].copy_(v)


def train_one_epoch(model, ema, loader, optimizer, scheduler, scaler, device):
    model.train()
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.float16):
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        ema.update(model)
    return loss.item()


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for x, y in loader:
        with torch.autocast("cuda", dtype=torch.float16):
            pred = model(x.to(device)).argmax(1)
        correct += (pred.cpu() == y).sum().item()
        total += y.numel()
    return correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="./data")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--ckpt", type=Path, default=Path("runs/cifar100/last.pt"))
    args = parser.parse_args()
    device = torch.device("cuda")
    args.ckpt.parent.mkdir(parents=True, exist_ok=True)

    mean, std = (0.507, 0.487, 0.441), (0.267, 0.256, 0.276)
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.TrivialAugmentWide(),
                          T.ToTensor(), T.Normalize(mean, std)])
    test_tf = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    train_set = torchvision.datasets.CIFAR100(args.data, train=True, transform=train_tf, download=True)
    test_set = torchvision.datasets.CIFAR100(args.data, train=False, transform=test_tf, download=True)
    train_loader = DataLoader(train_set, args.batch_size, shuffle=True, num_workers=8, pin_memory=True, drop_last=True)
    test_loader = DataLoader(test_set, 500, num_workers=8)

    model = CifarResNet().to(device, memory_format=torch.channels_last)
    ema = ModelEma(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, epochs=args.epochs,
                                                    steps_per_epoch=len(train_loader))
    scaler = torch.cuda.amp.GradScaler()
    start_epoch = 0
    if args.ckpt.exists():
        state = torch.load(args.ckpt, map_location=device)
        model.load_state_dict(state["model"])
        ema.module.load_state_dict(state["ema"])
        for name, obj in (("optimizer", optimizer), ("scheduler", scheduler), ("scaler", scaler)):
            obj.load_state_dict(state[name])
        start_epoch = state["epoch"] + 1

    for epoch in range(start_epoch, args.epochs):
        loss = train_one_epoch(model, ema, train_loader, optimizer, scheduler, scaler, device)
        acc, ema_acc = evaluate(model, test_loader, device), evaluate(ema.module, test_loader, device)
        print(f"epoch {epoch}: loss {loss:.3f} acc {acc:.4f} ema acc {ema_acc:.4f}")
        torch.save({"model": model.state_dict(), "ema": ema.module.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict(), "epoch": epoch}, args.ckpt)


if __name__ == "__main__":
    main()
