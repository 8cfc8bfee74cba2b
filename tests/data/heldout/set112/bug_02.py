#!/usr/bin/env python
# Knowledge distillation on CIFAR-10: ResNet-18 teacher -> small CNN student.
# Hinton et al. 2015, soft targets with temperature T.
import argparse
import logging
import os
import time

import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch import nn
from torch.utils.data import DataLoader

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
log = logging.getLogger("kd")

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


class StudentNet(nn.Module):
    """~0.3M params; gets ~86% alone, ~88.5% with KD."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)  # expect: BN204
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128)
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(128 * 4 * 4, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = self.pool(F.relu(self.bn3(self.conv3(x))))
        x = torch.flatten(x, 1)
        return self.fc(self.dropout(x))


def load_teacher(path, device):
    teacher = torchvision.models.resnet18(num_classes=10)
    # CIFAR stem: 3x3 conv, no max-pool
    teacher.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    teacher.maxpool = nn.Identity()
    state = torch.load(path, map_location="cpu")
    teacher.load_state_dict(state["model"] if "model" in state else state)
    teacher.requires_grad_(False)  # expect: BN105
    return teacher.to(device)


def kd_loss(student_logits, teacher_logits, targets, T=4.0, alpha=0.9):
    soft = F.kl_div(
        F.log_softmax(student_logits / T, dim=1),
        F.softmax(teacher_logits / T, dim=1),
        reduction="batchmean",
    ) * (T * T)
    hard = F.cross_entropy(student_logits, targets)
    return alpha * soft + (1.0 - alpha) * hard


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        preds = model(images).argmax(dim=1)
        correct += (preds == targets).sum().item()
        total += targets.numel()
    return 100.0 * correct / total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="./data")
    p.add_argument("--teacher-ckpt", default="checkpoints/resnet18_cifar10.pth")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--bs", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--temperature", type=float, default=4.0)
    p.add_argument("--alpha", type=float, default=0.9)
    p.add_argument("--out", default="checkpoints/student_kd.pth")
    args = p.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(CIFAR_MEAN, CIFAR_STD)])
    test_tf = T.Compose([T.ToTensor(), T.Normalize(CIFAR_MEAN, CIFAR_STD)])
    train_set = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=train_tf)
    test_set = torchvision.datasets.CIFAR10(args.data, train=False, download=True, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=args.bs, shuffle=True, num_workers=4, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=256, shuffle=False, num_workers=4)

    teacher = load_teacher(args.teacher_ckpt, device)
    student = StudentNet().to(device)

    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    best = 0.0
    for epoch in range(args.epochs):
        student.train()
        t0 = time.time()
        running = 0.0
        for images, targets in train_loader:
            images, targets = images.to(device, non_blocking=True), targets.to(device, non_blocking=True)
            with torch.no_grad():
                t_logits = teacher(images)
            s_logits = student(images)
            loss = kd_loss(s_logits, t_logits, targets, T=args.temperature, alpha=args.alpha)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += loss.item()
        scheduler.step()

        acc = evaluate(student, test_loader, device)
        log.info("epoch %d  loss %.4f  test acc %.2f  (%.1fs)", epoch, running / len(train_loader), acc, time.time() - t0)
        if acc > best:
            best = acc
            os.makedirs(os.path.dirname(args.out), exist_ok=True)
            torch.save({"model": student.state_dict(), "acc": acc, "epoch": epoch}, args.out)
    log.info("best student acc %.2f", best)


if __name__ == "__main__":
    main()
