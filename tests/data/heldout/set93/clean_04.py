"""Knowledge distillation with a frozen teacher and an EMA of the student.

The teacher is frozen once (parameters *and* BatchNorm statistics); the wrapper
overrides ``train()`` so that ``model.train()`` in the training loop never puts
the teacher's BatchNorm layers back into training mode.
"""
from __future__ import annotations

import copy
import logging
import math
from dataclasses import dataclass, field
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("distill")


# -------------------------------------------------------------------- models
def conv_block(in_ch: int, out_ch: int, pool: bool = False) -> nn.Sequential:
    layers = [nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class Student(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            conv_block(3, 32), conv_block(32, 64, pool=True),
            conv_block(64, 128, pool=True), conv_block(128, 128, pool=True),
        )
        self.classifier = nn.Linear(128, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)
        return self.classifier(x)


class Teacher(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            conv_block(3, 64), conv_block(64, 64),
            conv_block(64, 128, pool=True), conv_block(128, 128),
            conv_block(128, 256, pool=True), conv_block(256, 256),
            conv_block(256, 512, pool=True),
        )
        self.classifier = nn.Sequential(
            nn.Linear(512, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(inplace=True),
            nn.Linear(512, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)
        return self.classifier(x)


class DistillationModel(nn.Module):
    """Student + frozen teacher. Only the student is ever in training mode."""

    def __init__(self, student: nn.Module, teacher: nn.Module) -> None:
        super().__init__()
        self.student = student
        self.teacher = teacher
        self.teacher.eval()
        self.teacher.requires_grad_(False)

    def train(self, mode: bool = True) -> "DistillationModel":
        super().train(mode)
        # keep the teacher's BatchNorm running statistics fixed
        self.teacher.eval()
        return self

    def forward(self, x: torch.Tensor):
        student_logits = self.student(x)
        with torch.no_grad():
            teacher_logits = self.teacher(x)
        return student_logits, teacher_logits


class ModelEma:
    """Exponential moving average of a model's weights *and* buffers."""

    def __init__(self, model: nn.Module, decay: float = 0.9998, warmup_steps: int = 2000) -> None:
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.decay = decay
        self.warmup_steps = warmup_steps
        self.updates = 0

    def _current_decay(self) -> float:
        return self.decay * (1 - math.exp(-self.updates / self.warmup_steps))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = self._current_decay()
        model_state = model.state_dict()
        for name, ema_v in self.module.state_dict().items():
            model_v = model_state[name].detach()
            if ema_v.dtype.is_floating_point:
                ema_v.mul_(d).add_(model_v, alpha=1.0 - d)
            else:
                ema_v.copy_(model_v)  # num_batches_tracked

    def state_dict(self) -> dict:
        return {"module": self.module.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.module.load_state_dict(state["module"])
        self.updates = state["updates"]


def kd_loss(student_logits, teacher_logits, targets, temperature: float, alpha: float):
    soft = F.kl_div(
        F.log_softmax(student_logits / temperature, dim=1),
        F.softmax(teacher_logits / temperature, dim=1),
        reduction="batchmean",
    ) * temperature ** 2
    hard = F.cross_entropy(student_logits, targets)
    return alpha * soft + (1.0 - alpha) * hard


# ------------------------------------------------------------------- trainer
@dataclass
class DistillConfig:
    epochs: int = 100
    micro_batch: int = 32
    accum_steps: int = 4
    lr: float = 2e-3
    weight_decay: float = 0.05
    temperature: float = 4.0
    alpha: float = 0.7
    ema_decay: float = 0.9998
    device: str = "cuda"
    extra: Dict[str, float] = field(default_factory=dict)


class DistillTrainer:
    def __init__(self, student: nn.Module, teacher: nn.Module, cfg: DistillConfig) -> None:
        self.cfg = cfg
        self.device = torch.device(cfg.device if torch.cuda.is_available() else "cpu")
        self.model = DistillationModel(student, teacher).to(self.device)
        self.ema = ModelEma(self.model.student, decay=cfg.ema_decay)
        self.optimizer = torch.optim.AdamW(
            (p for p in self.model.parameters() if p.requires_grad),
            lr=cfg.lr, weight_decay=cfg.weight_decay,
        )
        self.step = 0

    def eval_models(self) -> Dict[str, nn.Module]:
        return {"student": self.model.student, "ema": self.ema.module, "teacher": self.model.teacher}

    def train_epoch(self, loader: DataLoader) -> float:
        self.model.train()
        cfg = self.cfg
        total = 0.0
        self.optimizer.zero_grad(set_to_none=True)
        for i, (x, y) in enumerate(loader):
            x, y = x.to(self.device), y.to(self.device)
            s_logits, t_logits = self.model(x)
            loss = kd_loss(s_logits, t_logits, y, cfg.temperature, cfg.alpha) / cfg.accum_steps
            loss.backward()
            if (i + 1) % cfg.accum_steps == 0:
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
                self.ema.update(self.model.student)
                self.step += 1
            total += loss.item() * cfg.accum_steps
        return total / max(len(loader), 1)

    @torch.no_grad()
    def _accuracy(self, net: nn.Module, loader: DataLoader) -> float:
        correct = seen = 0
        for x, y in loader:
            pred = net(x.to(self.device)).argmax(dim=1).cpu()
            correct += (pred == y).sum().item()
            seen += y.numel()
        return correct / max(seen, 1)

    def evaluate(self, loader: DataLoader) -> Dict[str, float]:
        results = {}
        for name, net in self.eval_models().items():
            net.eval()
            results[f"acc_{name}"] = self._accuracy(net, loader)
        return results

    def fit(self, train_loader: DataLoader, val_loader: DataLoader, ckpt_path: Optional[str] = None):
        best = 0.0
        for epoch in range(self.cfg.epochs):
            train_loss = self.train_epoch(train_loader)
            metrics = self.evaluate(val_loader)
            log.info("epoch %03d loss %.4f %s", epoch, train_loss, metrics)
            if ckpt_path and metrics["acc_ema"] > best:
                best = metrics["acc_ema"]
                torch.save({
                    "student": self.model.student.state_dict(),
                    "ema": self.ema.state_dict(),
                    "optimizer": self.optimizer.state_dict(),
                    "epoch": epoch,
                }, ckpt_path)
        return best


def load_teacher(path: Optional[str], num_classes: int) -> Teacher:
    teacher = Teacher(num_classes)
    if path:
        teacher.load_state_dict(torch.load(path, map_location="cpu"))
    return teacher


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    cfg = DistillConfig(epochs=3)
    n_train, n_val = 5_000, 1_000
    train_ds = TensorDataset(torch.randn(n_train, 3, 32, 32), torch.randint(0, 10, (n_train,)))
    val_ds = TensorDataset(torch.randn(n_val, 3, 32, 32), torch.randint(0, 10, (n_val,)))
    train_loader = DataLoader(train_ds, batch_size=cfg.micro_batch, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256)
    trainer = DistillTrainer(Student(10), load_teacher(None, 10), cfg)
    best = trainer.fit(train_loader, val_loader, ckpt_path="distill_best.pt")
    log.info("best EMA accuracy %.4f", best)


if __name__ == "__main__":
    main()
