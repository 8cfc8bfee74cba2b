# Q: "Validation loss is weird: training loss stops improving right after the first validation"
#
# I validate every `eval_every` steps inside the epoch. Before the first validation
# the train loss goes down nicely, right after it the train loss jumps and then
# plateaus, and the val loss is always lower than the train loss. Is validating in
# the middle of an epoch not allowed?

import logging
import os
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

logger = logging.getLogger("trainer")
logging.basicConfig(level=logging.INFO)


@dataclass
class Config:
    data_root: str = "./data"
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    epochs: int = 20
    eval_every: int = 200
    ckpt_dir: str = "checkpoints"
    device: str = "cuda" if torch.cuda.is_available() else "cpu"


def make_model(num_classes=10):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128, bias=False),
        nn.BatchNorm1d(128),
        nn.ReLU(inplace=True),
        nn.Linear(128, num_classes),
    )


class Trainer:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
        train_set = datasets.FashionMNIST(cfg.data_root, train=True, download=True, transform=tf)
        val_set = datasets.FashionMNIST(cfg.data_root, train=False, download=True, transform=tf)
        self.train_loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True, num_workers=2)
        self.val_loader = DataLoader(val_set, batch_size=512, num_workers=2)
        self.model = make_model().to(cfg.device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
        self.history = []

    @torch.no_grad()
    def validate(self):
        self.model.eval()
        total_loss, correct, n = 0.0, 0, 0
        for x, y in self.val_loader:
            x, y = x.to(self.cfg.device), y.to(self.cfg.device)
            logits = self.model(x)
            total_loss += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            n += y.numel()
        return total_loss / n, correct / n

    def save(self, epoch):
        os.makedirs(self.cfg.ckpt_dir, exist_ok=True)
        torch.save({"epoch": epoch, "model": self.model.state_dict(), "optim": self.optimizer.state_dict()}, os.path.join(self.cfg.ckpt_dir, f"epoch_{epoch}.pt"))

    def fit(self):
        self.model.train()
        step = 0
        for epoch in range(self.cfg.epochs):
            for x, y in self.train_loader:
                x, y = x.to(self.cfg.device), y.to(self.cfg.device)
                loss = F.cross_entropy(self.model(x), y)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                step += 1
                if step % 50 == 0:
                    logger.info("epoch %d step %d train loss %.4f", epoch, step, loss.item())
                if step % self.cfg.eval_every == 0:
                    val_loss, val_acc = self.validate()  # expect: BN103
                    self.history.append((step, loss.item(), val_loss, val_acc))
                    logger.info("step %d val loss %.4f val acc %.4f", step, val_loss, val_acc)
            self.save(epoch)


if __name__ == "__main__":
    Trainer(Config()).fit()
