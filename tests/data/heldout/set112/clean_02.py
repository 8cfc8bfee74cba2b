#!/usr/bin/env python
"""Distil a CIFAR-10 ResNet-18 teacher into a tiny CNN, then fuse conv+bn+relu
and quantize the student for CPU deployment."""
import argparse
import copy
import logging
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.ao.quantization import convert, fuse_modules, get_default_qconfig, prepare
from torch.utils.data import DataLoader

logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(message)s")
logger = logging.getLogger(__name__)


class TinyNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32, eps=1e-3, momentum=0.01)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64, eps=1e-3, momentum=0.01)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128, eps=1e-3, momentum=0.01)
        self.relu3 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, num_classes)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.bn3(self.conv3(x)))
        x = torch.flatten(self.pool(x), 1)
        return self.dequant(self.fc(x))


def load_teacher(path, device):
    teacher = torchvision.models.resnet18(num_classes=10)
    teacher.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    teacher.maxpool = nn.Identity()
    teacher.load_state_dict(torch.load(path, map_location="cpu"))
    teacher.eval()
    teacher.requires_grad_(False)
    return teacher.to(device)


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = n = 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        correct += (model(x).argmax(1) == y).sum().item()
        n += y.numel()
    return 100.0 * correct / n


def distillation_loss(s_logits, t_logits, y, T=4.0, alpha=0.7):
    p_t = F.softmax(t_logits / T, dim=1)
    log_p_s = F.log_softmax(s_logits / T, dim=1)
    return alpha * F.kl_div(log_p_s, p_t, reduction="batchmean") * T ** 2 + (1 - alpha) * F.cross_entropy(s_logits, y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="./data")
    ap.add_argument("--teacher", default="weights/resnet18_cifar10.pt")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    train_set = torchvision.datasets.CIFAR10(args.data, True, T.Compose([T.RandomCrop(32, 4), T.RandomHorizontalFlip(), T.ToTensor(), norm]), download=True)
    test_set = torchvision.datasets.CIFAR10(args.data, False, T.Compose([T.ToTensor(), norm]), download=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=500, num_workers=4)

    teacher = load_teacher(args.teacher, device)
    logger.info("teacher test acc: %.2f", evaluate(teacher, test_loader, device))

    student = TinyNet().to(device)
    opt = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * len(train_loader))

    for epoch in range(args.epochs):
        student.train()
        tic = time.time()
        seen = hits = 0
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.no_grad():
                t_logits = teacher(x)
            s_logits = student(x)
            loss = distillation_loss(s_logits, t_logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            hits += (s_logits.argmax(1) == y).sum().item()
            seen += y.numel()
        test_acc = evaluate(student, test_loader, device)
        logger.info("epoch %d train acc %.2f test acc %.2f (%.0fs)", epoch, 100.0 * hits / seen, test_acc, time.time() - tic)

    torch.save(student.state_dict(), "tinynet_kd_fp32.pt")

    # post-training static quantization of the distilled student
    qmodel = copy.deepcopy(student).cpu()
    qmodel.eval()
    qmodel = fuse_modules(qmodel, [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"], ["conv3", "bn3", "relu3"]])
    qmodel.qconfig = get_default_qconfig("x86")
    prepare(qmodel, inplace=True)
    with torch.no_grad():
        for i, (x, _) in enumerate(test_loader):
            qmodel(x)
            if i == 10:
                break
    qmodel = convert(qmodel)
    logger.info("int8 student acc: %.2f", evaluate(qmodel, test_loader, torch.device("cpu")))
    torch.jit.save(torch.jit.script(qmodel), "tinynet_kd_int8.pt")


if __name__ == "__main__":
    main()
