"""Step-based training (no epochs) of a small residual net on 28x28 digits.

Validation every EVAL_EVERY optimizer steps, warmup + cosine learning rate.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

MAX_STEPS = 20_000
EVAL_EVERY = 500
WARMUP_STEPS = 1_000
BATCH_SIZE = 64
BASE_LR = 3e-3


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + x)


class DigitNet(nn.Module):
    def __init__(self, width=32, num_blocks=3, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        self.blocks = nn.Sequential(*[ResidualBlock(width) for _ in range(num_blocks)])
        self.head = nn.Linear(width, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(x.mean(dim=(2, 3)))


def infinite(loader):
    while True:
        for batch in loader:
            yield batch


def lr_at(step):
    if step < WARMUP_STEPS:
        return BASE_LR * step / WARMUP_STEPS
    progress = (step - WARMUP_STEPS) / max(1, MAX_STEPS - WARMUP_STEPS)
    return 0.5 * BASE_LR * (1.0 + math.cos(math.pi * progress))


def main():
    train_x, train_y = torch.load("data/digits_train.pt")
    val_x, val_y = torch.load("data/digits_val.pt")
    train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=BATCH_SIZE,
                              shuffle=True, drop_last=True)
    val_loader = DataLoader(TensorDataset(val_x, val_y), batch_size=512)

    model = DigitNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=BASE_LR, weight_decay=0.05)
    batches = infinite(train_loader)
    best_acc = 0.0

    model.train()
    for step in range(1, MAX_STEPS + 1):
        x, y = next(batches)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

        if step % EVAL_EVERY == 0:
            model.eval()  # expect: BN103
            correct = total = 0
            with torch.no_grad():
                for vx, vy in val_loader:
                    correct += (model(vx).argmax(dim=1) == vy).sum().item()
                    total += vy.numel()
            acc = correct / total
            print(f"step {step:6d}  loss {loss.item():.4f}  val_acc {acc:.4f}")
            if acc > best_acc:
                best_acc = acc
                torch.save({"step": step, "model": model.state_dict()}, "digitnet_best.pt")
            model.train  # expect: BN102

    print(f"done, best val acc {best_acc:.4f}")


if __name__ == "__main__":
    main()
