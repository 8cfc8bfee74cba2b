"""Step-based trainer with periodic validation in the middle of an epoch.

Validation happens every `eval_every` optimisation steps, i.e. inside the
training loop. Both validation paths put the model back into the mode it
had before they ran.
"""
from dataclasses import dataclass
import itertools
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F

log = logging.getLogger("trainer")


@dataclass
class TrainConfig:
    max_steps: int = 20_000
    eval_every: int = 500
    probe_every: int = 50
    lr: float = 2e-3
    grad_clip: float = 1.0


class Block(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.c1 = nn.Conv2d(ch, ch, 3, padding=1, bias=False)
        self.n1 = nn.BatchNorm2d(ch)
        self.c2 = nn.Conv2d(ch, ch, 3, padding=1, bias=False)
        self.n2 = nn.BatchNorm2d(ch)

    def forward(self, x):
        y = F.relu(self.n1(self.c1(x)))
        return F.relu(x + self.n2(self.c2(y)))


class Net(nn.Module):
    def __init__(self, width=64, depth=4, num_classes=100):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU())
        self.blocks = nn.Sequential(*[Block(width) for _ in range(depth)])
        self.head = nn.Linear(width, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(x.mean((2, 3)))


@torch.no_grad()
def run_validation(model, loader, device):
    was_training = model.training
    model.eval()
    n = correct = 0
    loss_sum = 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(-1) == y).sum().item()
        n += y.numel()
    model.train(was_training)
    return {"val_loss": loss_sum / n, "val_acc": correct / n}


def train(model, train_loader, val_loader, probe_batch, cfg: TrainConfig, device="cuda"):
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    batches = itertools.cycle(train_loader)
    px, py = (t.to(device) for t in probe_batch)

    model.train()
    for step in range(1, cfg.max_steps + 1):
        x, y = next(batches)
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()

        if step % cfg.probe_every == 0:
            # cheap check on a fixed held-out batch
            model.eval()
            with torch.no_grad():
                probe_acc = (model(px).argmax(-1) == py).float().mean().item()
            model.train()
            log.info("step %d loss %.4f probe_acc %.3f", step, loss.item(), probe_acc)

        if step % cfg.eval_every == 0:
            metrics = run_validation(model, val_loader, device)
            log.info("step %d %s", step, metrics)

    return model
