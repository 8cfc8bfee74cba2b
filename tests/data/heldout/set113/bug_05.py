#!/usr/bin/env python3
# CIFAR-100 向け VGG 風ネットワーク —— Keras 版 (vgg_keras.py) からの移植
# 層リストは functools.reduce で組み立てる
import argparse
import operator
from functools import partial, reduce

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

幅一覧 = [3, 64, 128, 256]  # 入力 3ch -> 64 -> 128 -> 256, 各段で 1/2 に縮小 (32 -> 4)
クラス数 = 100

# 各ブロック: conv -> bn -> relu   (Keras の BatchNormalization(momentum=0.9) をそのまま)
ブロック = lambda c_in, c_out: [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out, momentum=0.9), nn.ReLU(inplace=True)]  # expect: BN205
段 = lambda c_in, c_out: ブロック(c_in, c_out) + ブロック(c_out, c_out) + [nn.MaxPool2d(2)]
特徴抽出 = lambda 幅: nn.Sequential(*reduce(operator.add, (段(a, b) for a, b in zip(幅[:-1], 幅[1:])), []))
頭部 = lambda n_cls: nn.Sequential(nn.Flatten(), nn.Linear(256 * 4 * 4, 512, bias=False), nn.BatchNorm2d(512), nn.ReLU(inplace=True), nn.Dropout(p=0.5), nn.Linear(512, n_cls))  # expect: BN202


class VGG風(nn.Module):
    def __init__(self, n_cls: int = クラス数):
        super().__init__()
        self.features = 特徴抽出(幅一覧)
        self.head = 頭部(n_cls)

    def forward(self, x):
        return self.head(self.features(x))


def 引数():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="~/datasets")
    p.add_argument("--batch-size", type=int, default=4)  # ノート PC の GPU (2GB) ではこれが限界
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--lr", type=float, default=0.01)
    return p.parse_args()


def main():
    args = 引数()
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    正規化 = transforms.Normalize((0.507, 0.487, 0.441), (0.267, 0.256, 0.276))
    tr = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), 正規化])
    te = transforms.Compose([transforms.ToTensor(), 正規化])
    train_set = datasets.CIFAR100(args.root, train=True, download=True, transform=tr)
    test_set = datasets.CIFAR100(args.root, train=False, download=True, transform=te)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=2)  # expect: BN301
    test_loader = DataLoader(test_set, batch_size=100, shuffle=False, num_workers=2)

    model = VGG風().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[30, 45], gamma=0.1)
    損失 = partial(F.cross_entropy, label_smoothing=0.1)
    合計 = lambda xs: reduce(operator.add, xs, 0)

    for ep in range(args.epochs):
        model.train()
        履歴 = []
        for x, y in train_loader:
            x, y = x.to(dev), y.to(dev)
            opt.zero_grad(); l = 損失(model(x), y); l.backward(); opt.step(); 履歴.append(l.item())
        sched.step()

        model.eval()
        with torch.no_grad():
            正解数 = 合計((model(x.to(dev)).argmax(1).cpu() == y).sum().item() for x, y in test_loader)
        print(f"[{ep:03d}] loss={合計(履歴) / len(履歴):.4f} acc={正解数 / len(test_set):.4f}")

    torch.save(model.state_dict(), "vgg_cifar100.pth")


if __name__ == "__main__":
    main()
