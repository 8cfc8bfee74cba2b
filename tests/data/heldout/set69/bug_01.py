"""Train a bottleneck ResNet on CIFAR-100.

Usage:
    python bug_01.py --data ./data --epochs 200 --out runs/r50_cifar100

Features: warmup + cosine schedule, label smoothing, random erasing,
checkpoint/resume, CSV metric log and a per-class accuracy report.
"""
import argparse
import csv
import json
import logging
import math
import os
import random
import time
from dataclasses import dataclass, asdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
import torchvision
import torchvision.transforms as T

logger = logging.getLogger("cifar100")

CIFAR100_MEAN = (0.5071, 0.4865, 0.4409)
CIFAR100_STD = (0.2673, 0.2564, 0.2762)
NUM_CLASSES = 100


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        width = planes
        self.conv1 = conv1x1(in_planes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes)  # expect: BN201
        self.relu = nn.ReLU(inplace=True)

        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes * self.expansion:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes * self.expansion, kernel_size=1, stride=stride),  # expect: BN204
                nn.BatchNorm2d(planes * self.expansion),
            )

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out = out + self.shortcut(x)
        return self.relu(out)


class CifarResNet(nn.Module):
    def __init__(self, num_blocks=(3, 4, 6, 3), num_classes=NUM_CLASSES, zero_init_residual=True):
        super().__init__()
        self.in_planes = 64
        self.stem = nn.Sequential(
            conv3x3(3, 64),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
        )
        self.layer1 = self._make_layer(64, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(128, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(256, num_blocks[2], stride=2)
        self.layer4 = self._make_layer(512, num_blocks[3], stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.zeros_(m.bn3.weight)

    def _make_layer(self, planes, blocks, stride):
        strides = [stride] + [1] * (blocks - 1)
        layers = []
        for s in strides:
            layers.append(Bottleneck(self.in_planes, planes, s))
            self.in_planes = planes * Bottleneck.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)


@dataclass
class RunState:
    epoch: int = 0
    best_acc: float = 0.0
    global_step: int = 0


class AverageMeter:
    def __init__(self, name, fmt=":.4f"):
        self.name = name
        self.fmt = fmt
        self.reset()

    def reset(self):
        self.val = 0.0
        self.sum = 0.0
        self.count = 0
        self.avg = 0.0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / max(self.count, 1)

    def __str__(self):
        fmtstr = "{name} {val" + self.fmt + "} ({avg" + self.fmt + "})"
        return fmtstr.format(**self.__dict__)


class CsvLogger:
    def __init__(self, path, fields):
        self.path = path
        self.fields = fields
        new_file = not os.path.exists(path)
        self._fh = open(path, "a", newline="")
        self._writer = csv.DictWriter(self._fh, fieldnames=fields)
        if new_file:
            self._writer.writeheader()

    def log(self, **row):
        self._writer.writerow({k: row.get(k, "") for k in self.fields})
        self._fh.flush()

    def close(self):
        self._fh.close()


def parse_args():
    p = argparse.ArgumentParser(description="CIFAR-100 bottleneck ResNet")
    p.add_argument("--data", default="./data")
    p.add_argument("--out", default="runs/cifar100")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--warmup-epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--wd", type=float, default=5e-4)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", default="")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--amp", action="store_true")
    return p.parse_args()


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def build_loaders(args):
    normalize = T.Normalize(CIFAR100_MEAN, CIFAR100_STD)
    train_tf = T.Compose([
        T.RandomCrop(32, padding=4, padding_mode="reflect"),
        T.RandomHorizontalFlip(),
        T.ToTensor(),
        normalize,
        T.RandomErasing(p=0.25, scale=(0.02, 0.2)),
    ])
    test_tf = T.Compose([T.ToTensor(), normalize])
    train_set = torchvision.datasets.CIFAR100(args.data, train=True, download=True, transform=train_tf)
    test_set = torchvision.datasets.CIFAR100(args.data, train=False, download=True, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, pin_memory=True, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=256, shuffle=False, num_workers=args.workers, pin_memory=True)
    return train_loader, test_loader


def lr_at(step, total_steps, warmup_steps, base_lr):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return 0.5 * base_lr * (1.0 + math.cos(math.pi * progress))


def split_decay_params(model):
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if param.ndim <= 1 or name.endswith(".bias"):
            no_decay.append(param)
        else:
            decay.append(param)
    return decay, no_decay


def save_checkpoint(path, model, optimizer, scaler, state):
    tmp = path + ".tmp"
    torch.save({
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scaler": scaler.state_dict(),
        "state": asdict(state),
    }, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, model, optimizer, scaler):
    ckpt = torch.load(path, map_location="cpu")
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    scaler.load_state_dict(ckpt["scaler"])
    return RunState(**ckpt["state"])


def evaluate(model, loader, device):
    model.eval()
    correct = 0
    total = 0
    per_class_correct = torch.zeros(NUM_CLASSES, dtype=torch.long)
    per_class_total = torch.zeros(NUM_CLASSES, dtype=torch.long)
    with torch.no_grad():
        for images, targets in loader:
            images = images.to(device, non_blocking=True)
            targets = targets.to(device, non_blocking=True)
            logits = model(images)
            preds = logits.argmax(dim=1)
            hit = preds.eq(targets)
            correct += hit.sum().item()
            total += targets.numel()
            per_class_correct.index_add_(0, targets.cpu(), hit.long().cpu())
            per_class_total.index_add_(0, targets.cpu(), torch.ones_like(targets).cpu())
    acc = 100.0 * correct / max(total, 1)
    per_class = (per_class_correct.float() / per_class_total.clamp(min=1).float()).tolist()
    return acc, per_class


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        handlers=[logging.StreamHandler(), logging.FileHandler(os.path.join(args.out, "train.log"))],
    )
    logger.info("args: %s", json.dumps(vars(args), indent=2))
    seed_everything(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader, test_loader = build_loaders(args)
    model = CifarResNet().to(device)
    decay, no_decay = split_decay_params(model)
    optimizer = torch.optim.SGD(
        [{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, momentum=0.9, nesterov=True,
    )
    scaler = torch.cuda.amp.GradScaler(enabled=args.amp)
    criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)

    state = RunState()
    if args.resume and os.path.isfile(args.resume):
        state = load_checkpoint(args.resume, model, optimizer, scaler)
        logger.info("resumed from %s at epoch %d", args.resume, state.epoch)

    steps_per_epoch = len(train_loader)
    total_steps = args.epochs * steps_per_epoch
    warmup_steps = args.warmup_epochs * steps_per_epoch
    csv_log = CsvLogger(os.path.join(args.out, "metrics.csv"),
                        ["epoch", "train_loss", "train_acc", "test_acc", "lr", "time"])

    model.train()
    for epoch in range(state.epoch, args.epochs):
        loss_meter = AverageMeter("loss")
        acc_meter = AverageMeter("acc", ":.2f")
        t0 = time.time()
        for it, (images, targets) in enumerate(train_loader):
            lr = lr_at(state.global_step, total_steps, warmup_steps, args.lr)
            for group in optimizer.param_groups:
                group["lr"] = lr
            images = images.to(device, non_blocking=True)
            targets = targets.to(device, non_blocking=True)

            with torch.autocast(device_type=device.type, enabled=args.amp):
                logits = model(images)
                loss = criterion(logits, targets)

            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            scaler.step(optimizer)
            scaler.update()
            state.global_step += 1

            batch_acc = logits.argmax(1).eq(targets).float().mean().item() * 100.0
            loss_meter.update(loss.item(), images.size(0))
            acc_meter.update(batch_acc, images.size(0))
            if it % args.log_every == 0:
                logger.info("epoch %d it %d/%d %s %s lr %.4f",
                            epoch, it, steps_per_epoch, loss_meter, acc_meter, lr)

        test_acc, per_class = evaluate(model, test_loader, device)  # expect: BN103
        elapsed = time.time() - t0
        worst = sorted(range(NUM_CLASSES), key=lambda c: per_class[c])[:5]
        logger.info("epoch %d done in %.1fs: train loss %.4f, test acc %.2f, worst classes %s",
                    epoch, elapsed, loss_meter.avg, test_acc, worst)
        csv_log.log(epoch=epoch, train_loss=round(loss_meter.avg, 5), train_acc=round(acc_meter.avg, 3),
                    test_acc=round(test_acc, 3), lr=round(lr, 6), time=round(elapsed, 1))

        state.epoch = epoch + 1
        if test_acc > state.best_acc:
            state.best_acc = test_acc
            save_checkpoint(os.path.join(args.out, "best.pt"), model, optimizer, scaler, state)
        save_checkpoint(os.path.join(args.out, "last.pt"), model, optimizer, scaler, state)

    csv_log.close()
    with open(os.path.join(args.out, "summary.json"), "w") as fh:
        json.dump({"best_acc": state.best_acc, "epochs": state.epoch}, fh, indent=2)
    logger.info("finished, best test acc %.2f", state.best_acc)


if __name__ == "__main__":
    main()
