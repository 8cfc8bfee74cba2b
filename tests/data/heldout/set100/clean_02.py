"""Iteration-based training with periodic evaluation and checkpointing.

A single pass over `range(max_iters)`; the data iterator is re-created when exhausted.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class WideBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False)

    def forward(self, x):
        out = F.relu(self.bn1(x))
        skip = x if self.shortcut is None else self.shortcut(out)
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + skip


class WRN(nn.Module):
    def __init__(self, num_classes=10, k=4):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.blocks = nn.Sequential(
            WideBlock(16, 16 * k, 1), WideBlock(16 * k, 32 * k, 2), WideBlock(32 * k, 64 * k, 2),
        )
        self.bn = nn.BatchNorm2d(64 * k)
        self.fc = nn.Linear(64 * k, num_classes)

    def forward(self, x):
        x = F.relu(self.bn(self.blocks(self.conv(x))))
        return self.fc(x.mean(dim=(2, 3)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-iters", type=int, default=60_000)
    parser.add_argument("--eval-interval", type=int, default=2_000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--ckpt-dir", default="ckpt")
    args = parser.parse_args()
    os.makedirs(args.ckpt_dir, exist_ok=True)

    tf_train = transforms.Compose([transforms.RandomCrop(32, padding=4),
                                   transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    train_set = datasets.CIFAR10("./data", train=True, download=True, transform=tf_train)
    val_set = datasets.CIFAR10("./data", train=False, download=True, transform=transforms.ToTensor())
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=4, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=500, num_workers=4)

    model = WRN()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.max_iters)

    data_iter = iter(train_loader)
    model.train()
    for it in range(1, args.max_iters + 1):
        try:
            x, y = next(data_iter)
        except StopIteration:
            data_iter = iter(train_loader)
            x, y = next(data_iter)

        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()

        if it % args.eval_interval == 0 or it == args.max_iters:
            model.eval()
            correct = total = 0
            with torch.no_grad():
                for vx, vy in val_loader:
                    correct += (model(vx).argmax(1) == vy).sum().item()
                    total += vy.numel()
            print(f"iter {it:6d}  loss {loss.item():.4f}  val acc {correct / total:.4f}")
            torch.save({"iter": it, "model": model.state_dict(), "optim": optimizer.state_dict()},
                       os.path.join(args.ckpt_dir, f"iter_{it:06d}.pt"))
            model.train()


if __name__ == "__main__":
    main()
