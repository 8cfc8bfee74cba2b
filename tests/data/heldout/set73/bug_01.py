"""Step-based training of a small CNN on pre-tensorised CIFAR-style shards.

The data files are produced by ``prepare_shards.py`` and hold a tuple
``(uint8 images [N, 3, 32, 32], int64 labels [N])``.
"""
import argparse
import math
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class SmallNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            ConvBlock(3, 32),
            ConvBlock(32, 64, stride=2),
            ConvBlock(64, 64),
            ConvBlock(64, 128, stride=2),
            nn.AdaptiveAvgPool2d(1),
        )
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(128, num_classes)

    def forward(self, x):
        x = torch.flatten(self.features(x), 1)
        return self.head(self.dropout(x))


def load_split(path, batch_size, train):
    images, labels = torch.load(path)
    ds = TensorDataset(images.float().div_(255.0), labels.long())
    return DataLoader(ds, batch_size=batch_size, shuffle=train,
                      drop_last=train, num_workers=2, pin_memory=True)


def infinite(loader):
    while True:
        for batch in loader:
            yield batch


def evaluate(model, loader, device):
    model.eval()
    correct, total, loss_sum = 0, 0, 0.0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            total += y.numel()
    return loss_sum / max(total, 1), correct / max(total, 1)


def lr_at(step, total_steps, base_lr, warmup):
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total_steps - warmup)
    return 0.5 * base_lr * (1.0 + math.cos(math.pi * progress))


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, default=Path("data"))
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--max-steps", type=int, default=20000)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--out", type=Path, default=Path("runs/smallnet"))
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.out.mkdir(parents=True, exist_ok=True)

    train_loader = load_split(args.data / "train.pt", args.batch_size, train=True)
    val_loader = load_split(args.data / "val.pt", 256, train=False)

    model = SmallNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9,
                                weight_decay=5e-4, nesterov=True)
    batches = infinite(train_loader)

    model.train()
    step = 0
    best_acc = 0.0
    running = 0.0
    t0 = time.time()
    while step < args.max_steps:
        x, y = next(batches)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, args.max_steps, args.lr, args.warmup)

        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        running += loss.item()

        if step % args.log_every == 0:
            elapsed = time.time() - t0
            print(f"step {step:6d}  loss {running / args.log_every:.4f}  "
                  f"{args.log_every / elapsed:.1f} it/s")
            running = 0.0
            t0 = time.time()

        if step % args.eval_every == 0:
            val_loss, val_acc = evaluate(model, val_loader, device)  # expect: BN103
            print(f"  val loss {val_loss:.4f}  acc {val_acc:.4f}")
            if val_acc > best_acc:
                best_acc = val_acc
                torch.save({"model": model.state_dict(), "step": step},
                           args.out / "best.pt")

    torch.save({"model": model.state_dict(), "step": step}, args.out / "last.pt")
    print(f"done, best val acc {best_acc:.4f}")


if __name__ == "__main__":
    main()
