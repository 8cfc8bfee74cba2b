"""ImageNet-subset training (pycls-style) with precise BatchNorm statistics before each test."""
import argparse
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def conv_bn_act(c_in, c_out, k=3, stride=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out, eps=1e-5, momentum=0.1),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, c_in, c_out, stride, expand):
        super().__init__()
        hidden = c_in * expand
        self.use_res = stride == 1 and c_in == c_out
        self.block = nn.Sequential(
            conv_bn_act(c_in, hidden, 1),
            conv_bn_act(hidden, hidden, 3, stride, groups=hidden),
            nn.Conv2d(hidden, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out),
        )

    def forward(self, x):
        return x + self.block(x) if self.use_res else self.block(x)


class MobileNetLite(nn.Module):
    CONFIG = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 2, 2), (6, 96, 2, 1)]

    def __init__(self, num_classes=100):
        super().__init__()
        layers = [conv_bn_act(3, 32, stride=2)]
        c_in = 32
        for expand, c_out, repeats, stride in self.CONFIG:
            for i in range(repeats):
                layers.append(InvertedResidual(c_in, c_out, stride if i == 0 else 1, expand))
                c_in = c_out
        layers.append(conv_bn_act(c_in, 640, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(640, num_classes)

    def forward(self, x):
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


@torch.no_grad()
def compute_precise_bn_stats(model, loader, device, num_iters=200):
    """Replace EMA running statistics with exact population statistics over ``num_iters`` batches."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    was_training = model.training
    saved_momentum = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()
    for images, _ in itertools.islice(loader, num_iters):
        model(images.to(device, non_blocking=True))
    for bn, momentum in zip(bns, saved_momentum):
        bn.momentum = momentum
    model.train(was_training)


@torch.no_grad()
def test_epoch(model, loader, device):
    model.eval()
    top1 = top5 = n = 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        top = model(images).topk(5, dim=1).indices
        top1 += (top[:, 0] == labels).sum().item()
        top5 += (top == labels[:, None]).any(dim=1).sum().item()
        n += labels.numel()
    return top1 / n, top5 / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-dir", required=True)
    parser.add_argument("--val-dir", required=True)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=90)
    args = parser.parse_args()

    device = torch.device("cuda")
    norm = transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_set = datasets.ImageFolder(args.train_dir, transforms.Compose([
        transforms.RandomResizedCrop(160), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    val_set = datasets.ImageFolder(args.val_dir, transforms.Compose([
        transforms.Resize(184), transforms.CenterCrop(160), transforms.ToTensor(), norm]))
    train_loader = DataLoader(train_set, args.batch_size, shuffle=True, num_workers=12,
                              pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, 500, num_workers=12, pin_memory=True)

    model = MobileNetLite(num_classes=len(train_set.classes)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, weight_decay=4e-5, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(args.epochs):
        model.train()
        for images, labels in train_loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        scheduler.step()
        compute_precise_bn_stats(model, train_loader, device)
        top1, top5 = test_epoch(model, val_loader, device)
        print(f"epoch {epoch:3d}: top1 {top1:.4f} top5 {top5:.4f}")
        torch.save(model.state_dict(), f"mbl_epoch{epoch:03d}.pt")


if __name__ == "__main__":
    main()
