"""General-purpose image classification Trainer.

Features: AMP, gradient accumulation, warmup+cosine LR, checkpoint resume,
early stopping, inference helper.
"""
import math
import os
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


@dataclass
class TrainConfig:
    epochs: int = 50
    batch_size: int = 96
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup_steps: int = 500
    accum_steps: int = 2
    patience: int = 7
    amp: bool = True
    ckpt_dir: str = "ckpt/clean01"
    resume: bool = True


class SepConvBlock(nn.Module):
    """Depthwise-separable conv with BN after each conv (no conv bias)."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.bn_dw = nn.BatchNorm2d(cin, eps=1e-3, momentum=0.01)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn_pw = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)

    def forward(self, x):
        x = F.relu6(self.bn_dw(self.dw(x)))
        return F.relu6(self.bn_pw(self.pw(x)))


class MobileLike(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 32, 3, 1, 1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU6(inplace=True),
        )
        cfg = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1)]
        self.blocks = nn.Sequential(*[SepConvBlock(a, b, s) for a, b, s in cfg])
        self.classifier = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


class Trainer:
    def __init__(self, model, loaders, cfg: TrainConfig, device=None):
        self.cfg = cfg
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.loaders = loaders
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr,
                                           weight_decay=cfg.weight_decay)
        total = cfg.epochs * math.ceil(len(loaders["train"]) / cfg.accum_steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda s: min(1.0, (s + 1) / cfg.warmup_steps)
            * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
        self.scaler = torch.cuda.amp.GradScaler(enabled=cfg.amp)
        self.start_epoch = 0
        self.best_acc = 0.0
        self.bad_epochs = 0
        os.makedirs(cfg.ckpt_dir, exist_ok=True)
        if cfg.resume and os.path.exists(self._path("last.pt")):
            self.load_checkpoint(self._path("last.pt"))

    def _path(self, name):
        return os.path.join(self.cfg.ckpt_dir, name)

    def save_checkpoint(self, name, epoch):
        torch.save({"epoch": epoch, "model": self.model.state_dict(),
                    "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(),
                    "scaler": self.scaler.state_dict(),
                    "best_acc": self.best_acc, "bad_epochs": self.bad_epochs},
                   self._path(name))

    def load_checkpoint(self, path):
        state = torch.load(path, map_location=self.device)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.start_epoch = state["epoch"] + 1
        self.best_acc = state["best_acc"]
        self.bad_epochs = state["bad_epochs"]

    def train_epoch(self, epoch):
        self.model.train()
        correct = seen = 0
        self.optimizer.zero_grad(set_to_none=True)
        for step, (x, y) in enumerate(self.loaders["train"]):
            x, y = x.to(self.device), y.to(self.device)
            with torch.autocast(device_type="cuda", dtype=torch.float16, enabled=self.cfg.amp):
                logits = self.model(x)
                loss = F.cross_entropy(logits, y) / self.cfg.accum_steps
            self.scaler.scale(loss).backward()
            # running train accuracy, from the same forward pass used for the loss
            correct += (logits.argmax(1) == y).sum().item()
            seen += y.numel()
            if (step + 1) % self.cfg.accum_steps == 0:
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.optimizer.zero_grad(set_to_none=True)
                self.scheduler.step()
        return correct / max(seen, 1)

    @torch.no_grad()
    def validate(self):
        self.model.eval()
        correct = total = 0
        for x, y in self.loaders["val"]:
            x, y = x.to(self.device), y.to(self.device)
            with torch.autocast(device_type="cuda", dtype=torch.float16, enabled=self.cfg.amp):
                logits = self.model(x)
            correct += (logits.argmax(1) == y).sum().item()
            total += y.numel()
        return correct / total

    def fit(self):
        for epoch in range(self.start_epoch, self.cfg.epochs):
            train_acc = self.train_epoch(epoch)
            val_acc = self.validate()
            print(f"epoch {epoch}: train_acc {train_acc:.4f} val_acc {val_acc:.4f}")
            if val_acc > self.best_acc:
                self.best_acc, self.bad_epochs = val_acc, 0
                self.save_checkpoint("best.pt", epoch)
            else:
                self.bad_epochs += 1
            self.save_checkpoint("last.pt", epoch)
            if self.bad_epochs >= self.cfg.patience:
                print("early stopping")
                break
        return self.best_acc

    @torch.inference_mode()
    def predict(self, images):
        was_training = self.model.training
        self.model.eval()
        probs = F.softmax(self.model(images.to(self.device)), dim=1)
        if was_training:
            self.model.train()
        return probs.cpu()


if __name__ == "__main__":
    cfg = TrainConfig()
    tf = transforms.Compose([transforms.RandomCrop(32, 4), transforms.RandomHorizontalFlip(),
                             transforms.ToTensor()])
    loaders = {
        "train": DataLoader(datasets.SVHN("data", "train", download=True, transform=tf),
                            batch_size=cfg.batch_size, shuffle=True, drop_last=True,
                            num_workers=4),
        "val": DataLoader(datasets.SVHN("data", "test", download=True,
                                        transform=transforms.ToTensor()),
                          batch_size=512, num_workers=4),
    }
    trainer = Trainer(MobileLike(), loaders, cfg)
    print("best val acc", trainer.fit())
