"""MNASNet-style mobile network ported from the TF reference, trained on ImageNet-100.

BatchNorm hyper-parameters follow the TF checkpoint: TF decay 0.9997 is PyTorch
momentum 1 - 0.9997, TF epsilon 1e-3.
"""
import argparse
import functools
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader

_BN_MOMENTUM = 1 - 0.9997
_BN_EPS = 1e-3
BatchNorm = functools.partial(nn.BatchNorm2d, eps=_BN_EPS, momentum=_BN_MOMENTUM)


def _round_to_multiple_of(val, divisor=8, round_up_bias=0.9):
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


class ConvBNAct(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel_size=3, stride=1, groups=1, norm_layer=BatchNorm, act=True):
        layers = [
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, kernel_size // 2, groups=groups, bias=False),
            norm_layer(out_ch),
        ]
        if act:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, stride, expansion_factor):
        super().__init__()
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            ConvBNAct(in_ch, mid_ch, kernel_size=1),
            ConvBNAct(mid_ch, mid_ch, kernel_size, stride, groups=mid_ch),
            ConvBNAct(mid_ch, out_ch, kernel_size=1, act=False),
        )

    def forward(self, x):
        out = self.layers(x)
        return out + x if self.apply_residual else out


def _stack(in_ch, out_ch, kernel_size, stride, exp_factor, repeats):
    first = InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor)
    rest = [InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor) for _ in range(1, repeats)]
    return nn.Sequential(first, *rest)


class MNASNet(nn.Module):
    def __init__(self, alpha=1.0, num_classes=100, dropout=0.2):
        super().__init__()
        depths = [_round_to_multiple_of(d * alpha) for d in (32, 16, 24, 40, 80, 96, 192, 320)]
        self.features = nn.Sequential(
            ConvBNAct(3, depths[0], stride=2),
            ConvBNAct(depths[0], depths[0], groups=depths[0]),
            ConvBNAct(depths[0], depths[1], kernel_size=1, act=False),
            _stack(depths[1], depths[2], 3, 2, 3, 3),
            _stack(depths[2], depths[3], 5, 2, 3, 3),
            _stack(depths[3], depths[4], 5, 2, 6, 3),
            _stack(depths[4], depths[5], 3, 1, 6, 2),
            _stack(depths[5], depths[6], 5, 2, 6, 4),
            _stack(depths[6], depths[7], 3, 1, 6, 1),
            nn.Conv2d(depths[7], 1280, 1, bias=False),
            nn.BatchNorm2d(1280, _BN_EPS, _BN_MOMENTUM),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).mean([2, 3]))


def evaluate(model, loader, device):
    """Top-1/top-5 on `loader`; leaves the model in the mode it was called in."""
    was_training = model.training
    model.eval()
    top1 = top5 = n = 0
    with torch.no_grad():
        for images, targets in loader:
            images, targets = images.to(device), targets.to(device)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                logits = model(images)
            pred5 = logits.topk(5, dim=1).indices
            top1 += (pred5[:, 0] == targets).sum().item()
            top5 += (pred5 == targets[:, None]).any(dim=1).sum().item()
            n += targets.numel()
    model.train(was_training)
    return top1 / n, top5 / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/datasets/imagenet100")
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--lr", type=float, default=0.2)
    args = parser.parse_args()

    device = torch.device("cuda")
    norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_set = torchvision.datasets.ImageFolder(
        f"{args.data}/train", T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), norm]))
    val_set = torchvision.datasets.ImageFolder(
        f"{args.data}/val", T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), norm]))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=12,
                              pin_memory=True, persistent_workers=True)
    val_loader = DataLoader(val_set, batch_size=500, num_workers=8)

    model = MNASNet(alpha=args.alpha, num_classes=len(train_set.classes)).to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=args.lr * args.batch_size / 4096, alpha=0.9,
                                    eps=0.0316, momentum=0.9, weight_decay=1e-5)
    total_steps = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=optimizer.param_groups[0]["lr"],
                                                    total_steps=total_steps, pct_start=0.03)
    model.train()
    for epoch in range(args.epochs):
        tic = time.time()
        for images, targets in train_loader:
            images = images.to(device, non_blocking=True, memory_format=torch.channels_last)
            targets = targets.to(device, non_blocking=True)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(images), targets, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        acc1, acc5 = evaluate(model, val_loader, device)
        print(f"epoch {epoch:3d} | {time.time() - tic:5.0f}s | loss {loss.item():.3f} | top1 {acc1:.4f} top5 {acc5:.4f}")
        torch.save(model.state_dict(), "mnasnet_last.pth")


if __name__ == "__main__":
    main()
