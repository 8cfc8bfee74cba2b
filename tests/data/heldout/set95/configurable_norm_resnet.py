"""ResNet-style backbone whose normalisation layer is picked by a config string.

    norm: "bn"  -> BatchNorm2d
          "syncbn" -> SyncBatchNorm (only meaningful under torch.distributed)
          "gn"  -> GroupNorm(32, C)
          "ln"  -> LayerNorm2d (channels-first LayerNorm)
          "none"-> no normalisation, convs keep their bias

Conv biases are only used when there is no norm layer (as in detectron2).
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class LayerNorm2d(nn.Module):
    def __init__(self, num_channels, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))
        self.eps = eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


NORMS = {
    "bn": nn.BatchNorm2d,
    "syncbn": nn.SyncBatchNorm,
    "gn": lambda c: nn.GroupNorm(32, c),
    "ln": LayerNorm2d,
    "none": lambda c: nn.Identity(),
}


def get_norm(name, channels):
    if name not in NORMS:
        raise ValueError(f"unknown norm {name!r}, expected one of {sorted(NORMS)}")
    return NORMS[name](channels)


class ConvNormAct(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel=3, stride=1, norm="bn", act=True):
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel, stride, kernel // 2, bias=(norm == "none")),
            get_norm(norm, out_ch),
            nn.ReLU(inplace=True) if act else nn.Identity(),
        )


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_ch, width, stride=1, norm="bn"):
        super().__init__()
        out_ch = width * self.expansion
        self.conv1 = ConvNormAct(in_ch, width, 1, norm=norm)
        self.conv2 = ConvNormAct(width, width, 3, stride, norm=norm)
        self.conv3 = ConvNormAct(width, out_ch, 1, norm=norm, act=False)
        self.shortcut = (nn.Identity() if stride == 1 and in_ch == out_ch
                         else ConvNormAct(in_ch, out_ch, 1, stride, norm=norm, act=False))

    def forward(self, x):
        return F.relu(self.conv3(self.conv2(self.conv1(x))) + self.shortcut(x))


class Backbone(nn.Module):
    def __init__(self, blocks=(3, 4, 6, 3), norm="bn", num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(
            ConvNormAct(3, 32, 3, 2, norm=norm),
            ConvNormAct(32, 32, 3, 1, norm=norm),
            ConvNormAct(32, 64, 3, 1, norm=norm),
            nn.MaxPool2d(3, 2, 1),
        )
        stages, in_ch = [], 64
        for i, n in enumerate(blocks):
            width = 64 * 2 ** i
            for j in range(n):
                stages.append(Bottleneck(in_ch, width, 2 if (j == 0 and i > 0) else 1, norm))
                in_ch = width * Bottleneck.expansion
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    top1 = n = 0
    for x, y in loader:
        top1 += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        n += y.numel()
    return top1 / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/imagenette2-320")
    ap.add_argument("--norm", default="bn", choices=sorted(NORMS))
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=40)
    args = ap.parse_args()
    if args.norm == "syncbn":
        raise SystemExit("syncbn needs the distributed launcher (train_ddp.py)")

    device = "cuda" if torch.cuda.is_available() else "cpu"
    norm_tf = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(192), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm_tf])
    val_tf = transforms.Compose([transforms.Resize(224), transforms.CenterCrop(192),
                                 transforms.ToTensor(), norm_tf])
    train_loader = DataLoader(datasets.ImageFolder(f"{args.data}/train", train_tf),
                              batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(datasets.ImageFolder(f"{args.data}/val", val_tf),
                            batch_size=128, num_workers=8)

    model = Backbone(norm=args.norm, num_classes=10).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.4, epochs=args.epochs,
                                                steps_per_epoch=len(train_loader))
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device), label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        print(f"[{args.norm}] epoch {epoch}: val top-1 {100 * evaluate(model, val_loader, device):.2f}%")


if __name__ == "__main__":
    main()
