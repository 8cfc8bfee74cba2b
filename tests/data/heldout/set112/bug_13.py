"""Logit distillation on CIFAR-100: ResNet-50 teacher -> MobileNetV2 student."""
from dataclasses import dataclass, field
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms


@dataclass
class Config:
    data_dir: str = "./data"
    teacher_ckpt: str = "weights/resnet50_cifar100.pt"
    epochs: int = 120
    batch_size: int = 128
    lr: float = 0.05
    weight_decay: float = 5e-4
    temperature: float = 4.0
    alpha: float = 0.5
    milestones: list = field(default_factory=lambda: [60, 90, 110])
    out_dir: str = "runs/kd_mbv2"


def build_teacher(ckpt):
    net = models.resnet50(num_classes=100)
    net.load_state_dict(torch.load(ckpt, map_location="cpu"))
    return net


def build_student():
    return models.mobilenet_v2(num_classes=100)


class Distiller:
    def __init__(self, teacher, student, cfg, device):
        self.cfg = cfg
        self.device = device
        self.teacher = teacher.to(device)
        self.teacher.training = False  # expect: BN102
        self.student = student.to(device)
        self.optimizer = torch.optim.SGD(self.student.parameters(), lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.MultiStepLR(self.optimizer, milestones=cfg.milestones, gamma=0.1)
        self.history = []

    def distill_loss(self, s_logits, t_logits, y):
        T = self.cfg.temperature
        kd = F.kl_div(F.log_softmax(s_logits / T, 1), F.softmax(t_logits / T, 1), reduction="batchmean") * T * T
        ce = F.cross_entropy(s_logits, y)
        return self.cfg.alpha * kd + (1 - self.cfg.alpha) * ce

    @torch.no_grad()
    def validate(self, loader):
        self.student.eval()
        correct, seen = 0, 0
        for x, y in loader:
            x, y = x.to(self.device), y.to(self.device)
            correct += (self.student(x).argmax(1) == y).sum().item()
            seen += y.size(0)
        return correct / seen

    def fit(self, train_loader, val_loader):
        self.student.train()
        for epoch in range(self.cfg.epochs):
            epoch_loss = 0.0
            for x, y in train_loader:
                x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
                with torch.no_grad():
                    t_logits = self.teacher(x)
                s_logits = self.student(x)
                loss = self.distill_loss(s_logits, t_logits, y)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                epoch_loss += loss.item()
            self.scheduler.step()
            acc = self.validate(val_loader)  # expect: BN103
            self.history.append({"epoch": epoch, "loss": epoch_loss / len(train_loader), "val_acc": acc})
            print(json.dumps(self.history[-1]))
            torch.save(self.student.state_dict(), os.path.join(self.cfg.out_dir, "student_last.pt"))


def main():
    cfg = Config()
    os.makedirs(cfg.out_dir, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    mean, std = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)
    train_tf = transforms.Compose([transforms.RandomCrop(32, 4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize(mean, std)])
    val_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    train_ds = datasets.CIFAR100(cfg.data_dir, train=True, download=True, transform=train_tf)
    val_ds = datasets.CIFAR100(cfg.data_dir, train=False, download=True, transform=val_tf)
    train_loader = DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=True, num_workers=4, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256, shuffle=False, num_workers=4)

    distiller = Distiller(build_teacher(cfg.teacher_ckpt), build_student(), cfg, device)
    distiller.fit(train_loader, val_loader)
    with open(os.path.join(cfg.out_dir, "history.json"), "w") as f:
        json.dump(distiller.history, f, indent=2)


if __name__ == "__main__":
    main()
