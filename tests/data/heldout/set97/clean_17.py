"""Knowledge distillation (ResNet-50 teacher -> small student) with an EMA student.

The teacher runs under no_grad inside the training step; the EMA copy is
updated after each optimizer step and its BN statistics are recomputed with
swa_utils.update_bn before the final evaluation.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder
from torchvision.transforms import v2

log = logging.getLogger("kd")

DATA = Path("/data/imagenette2")
EPOCHS = 60
BATCH = 128
TEMPERATURE = 4.0
ALPHA = 0.7


def student_net(num_classes: int = 10) -> nn.Sequential:
    def stage(cin: int, cout: int) -> list[nn.Module]:
        return [
            nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        ]

    return nn.Sequential(
        *stage(3, 32), *stage(32, 64), *stage(64, 128), *stage(128, 256),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, num_classes),
    )


def kd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    soft = F.kl_div(
        F.log_softmax(student_logits / TEMPERATURE, dim=1),
        F.softmax(teacher_logits / TEMPERATURE, dim=1),
        reduction="batchmean",
    ) * TEMPERATURE**2
    return ALPHA * soft + (1 - ALPHA) * F.cross_entropy(student_logits, target)


@torch.inference_mode()
def evaluate(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        total += y.numel()
    return correct / total


def images_only(loader: DataLoader) -> Iterator[torch.Tensor]:
    for x, _ in loader:
        yield x


def main() -> None:
    device = torch.device("cuda")
    norm = v2.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(160, antialias=True), v2.RandomHorizontalFlip(),
                           v2.ToDtype(torch.float32, scale=True), norm])
    val_tf = v2.Compose([v2.ToImage(), v2.Resize(176, antialias=True), v2.CenterCrop(160),
                         v2.ToDtype(torch.float32, scale=True), norm])
    train_loader = DataLoader(ImageFolder(DATA / "train", train_tf), batch_size=BATCH, shuffle=True,
                              num_workers=8, drop_last=True, pin_memory=True)
    val_loader = DataLoader(ImageFolder(DATA / "val", val_tf), batch_size=256, num_workers=8)

    teacher = timm.create_model("resnet50", num_classes=10, checkpoint_path="weights/teacher_imagenette.pth")
    teacher = teacher.to(device).eval()
    teacher.requires_grad_(False)

    student = student_net().to(device)
    ema = AveragedModel(student, multi_avg_fn=get_ema_multi_avg_fn(0.999))
    opt = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-5, nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)

    for epoch in range(EPOCHS):
        student.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                with torch.no_grad():
                    t_logits = teacher(x)
                s_logits = student(x)
                loss = kd_loss(s_logits.float(), t_logits.float(), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            ema.update_parameters(student)
        sched.step()
        if epoch % 10 == 9:
            log.info("epoch %d student top1 %.4f", epoch, evaluate(student, val_loader, device))

    update_bn(images_only(train_loader), ema, device=device)
    log.info("teacher top1 %.4f", evaluate(teacher, val_loader, device))
    log.info("student top1 %.4f", evaluate(student, val_loader, device))
    log.info("EMA     top1 %.4f", evaluate(ema, val_loader, device))
    torch.save(ema.module.state_dict(), "student_ema.pt")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
