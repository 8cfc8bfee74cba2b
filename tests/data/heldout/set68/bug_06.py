"""Knowledge distillation of a compact student from a wide teacher, with an
exponential moving average (EMA) of the student weights used for selection.
"""
import argparse
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class ModelEMA:
    """Keeps an EMA copy of a model; the copy is only ever used for evaluation."""

    def __init__(self, model: nn.Module, decay: float = 0.999, warmup: int = 2000):
        self.module = copy.deepcopy(model).eval()
        self.decay = decay
        self.warmup = warmup
        self.updates = 0
        for p in self.module.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.warmup))
        msd = model.state_dict()
        for k, v in self.module.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


class TeacherNet(nn.Module):
    def __init__(self, num_classes=100, width=128):
        super().__init__()
        chans = [3, width, width * 2, width * 4]
        blocks = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            blocks += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*blocks)
        self.fc = nn.Linear(width * 4, num_classes)

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))


class StudentNet(nn.Module):
    def __init__(self, num_classes=100, width=48):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1),  # expect: BN204
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        self.stage = nn.Sequential(
            nn.Conv2d(width, width * 2, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width * 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(width * 2, width * 4, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width * 2),  # expect: BN201
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Linear(width * 4, num_classes)

    def forward(self, x):
        return self.fc(self.stage(self.stem(x)).mean((2, 3)))


def kd_loss(student_logits, teacher_logits, targets, T=4.0, alpha=0.9):
    soft = F.kl_div(
        F.log_softmax(student_logits / T, dim=1),
        F.softmax(teacher_logits / T, dim=1),
        reduction="batchmean",
    ) * (T * T)
    hard = F.cross_entropy(student_logits, targets)
    return alpha * soft + (1 - alpha) * hard


def validate(model, loader, device):
    model.eval()
    correct = seen = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (model(x).argmax(1) == y).sum().item()
            seen += y.numel()
    return correct / seen


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--teacher-ckpt", default="teacher_wrn.pt")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    g = torch.Generator().manual_seed(0)
    train_ds = TensorDataset(torch.randn(20000, 3, 32, 32, generator=g), torch.randint(0, 100, (20000,), generator=g))
    val_ds = TensorDataset(torch.randn(2000, 3, 32, 32, generator=g), torch.randint(0, 100, (2000,), generator=g))
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=4)
    val_loader = DataLoader(val_ds, batch_size=500, num_workers=4)

    teacher = TeacherNet()
    teacher.load_state_dict(torch.load(args.teacher_ckpt, map_location="cpu"))
    teacher.training = False  # expect: BN102
    teacher.to(device)

    student = StudentNet().to(device)
    ema = ModelEMA(student, decay=0.9995)
    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=len(train_loader)
    )

    best_acc = 0.0
    for epoch in range(args.epochs):
        student.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.no_grad():
                t_logits = teacher(x)
            s_logits = student(x)
            loss = kd_loss(s_logits, t_logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            ema.update(student)

        acc = validate(student, val_loader, device)
        ema_acc = validate(ema.module, val_loader, device)
        print(f"epoch {epoch}: student {acc:.4f} ema {ema_acc:.4f}")
        if ema_acc > best_acc:
            best_acc = ema_acc
            torch.save(ema.module.state_dict(), "student_ema_best.pt")


if __name__ == "__main__":
    main()
