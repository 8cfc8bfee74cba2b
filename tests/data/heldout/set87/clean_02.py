"""Distil a fine-tuned ResNet-101 teacher into a MobileNetV3 student (Stanford Dogs).

Teacher stays frozen and in eval mode; only the student trains.
"""
import logging
import time

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets
from timm.data import create_transform, resolve_data_config

logger = logging.getLogger(__name__)


class Distiller:
    def __init__(self, teacher: nn.Module, student: nn.Module, device, T: float = 2.0, alpha: float = 0.5):
        self.device = device
        self.teacher = teacher.to(device)
        self.teacher.eval()
        for p in self.teacher.parameters():
            p.requires_grad_(False)
        self.student = student.to(device)
        self.T = T
        self.alpha = alpha

    def loss_fn(self, s_logits, t_logits, target):
        T = self.T
        kd = F.kl_div(F.log_softmax(s_logits / T, -1), F.log_softmax(t_logits / T, -1),
                      reduction="batchmean", log_target=True) * T * T
        ce = F.cross_entropy(s_logits, target)
        return self.alpha * kd + (1 - self.alpha) * ce

    def train_epoch(self, loader, optimizer, scaler):
        self.student.train()
        meter, n = 0.0, 0
        for x, y in loader:
            x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                with torch.no_grad():
                    t_logits = self.teacher(x)
                s_logits = self.student(x)
                loss = self.loss_fn(s_logits.float(), t_logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            meter += loss.item() * x.size(0)
            n += x.size(0)
        return meter / n

    @torch.no_grad()
    def score(self, model, loader):
        """Top-1 accuracy; the caller is responsible for putting `model` in eval mode."""
        correct = total = 0
        for x, y in loader:
            x, y = x.to(self.device), y.to(self.device)
            correct += (model(x).argmax(-1) == y).sum().item()
            total += y.numel()
        return correct / total

    def fit(self, train_loader, val_loader, epochs, lr=3e-3):
        optimizer = torch.optim.AdamW(self.student.parameters(), lr=lr, weight_decay=0.05)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs, pct_start=0.1)
        scaler = torch.cuda.amp.GradScaler(enabled=False)
        teacher_acc = self.score(self.teacher, val_loader)
        logger.info("teacher top-1 %.4f", teacher_acc)
        best = 0.0
        for epoch in range(epochs):
            t0 = time.time()
            loss = self.train_epoch(train_loader, optimizer, scaler)
            scheduler.step()
            self.student.eval()
            acc = self.score(self.student, val_loader)
            logger.info("epoch %d loss %.4f student top-1 %.4f (%.0fs)", epoch, loss, acc, time.time() - t0)
            if acc > best:
                best = acc
                torch.save(self.student.state_dict(), "student_mnv3_best.pth")
        return best


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    device = torch.device("cuda")
    teacher = timm.create_model("resnet101", num_classes=120)
    teacher.load_state_dict(torch.load("checkpoints/dogs_r101.pth", map_location="cpu"))
    student = timm.create_model("mobilenetv3_large_100", pretrained=True, num_classes=120)

    cfg = resolve_data_config({}, model=student)
    train_tf = create_transform(**cfg, is_training=True, auto_augment="rand-m9-mstd0.5")
    val_tf = create_transform(**cfg)
    train_ds = datasets.ImageFolder("data/stanford_dogs/train", train_tf)
    val_ds = datasets.ImageFolder("data/stanford_dogs/val", val_tf)
    train_loader = DataLoader(train_ds, batch_size=96, shuffle=True, num_workers=10, drop_last=True,
                              pin_memory=True, persistent_workers=True)
    val_loader = DataLoader(val_ds, batch_size=192, num_workers=10)

    best = Distiller(teacher, student, device, T=4.0, alpha=0.7).fit(train_loader, val_loader, epochs=40)
    print(f"best student top-1: {best:.4f}")


if __name__ == "__main__":
    main()
