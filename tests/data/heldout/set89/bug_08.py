"""DeepLabV3 fine-tuning on full-resolution Cityscapes crops (single GPU).

Full 1024x2048 crops do not fit more than one image on a 24GB card, so this
script trains with one image per step and relies on a long schedule.
"""
import argparse
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader
from torchvision.models._utils import IntermediateLayerGetter

from seg_transforms import Compose, RandomCrop, RandomHorizontalFlip, ToTensor, Normalize, CityscapesTrainIds


class ASPPConv(nn.Sequential):
    def __init__(self, in_channels, out_channels, dilation):
        modules = [
            nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        ]
        super().__init__(*modules)


class ASPPPooling(nn.Sequential):
    def __init__(self, in_channels, out_channels):
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x):
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    def __init__(self, in_channels, atrous_rates, out_channels=256):
        super().__init__()
        modules = [nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                 nn.BatchNorm2d(out_channels), nn.ReLU())]
        for rate in tuple(atrous_rates):
            modules.append(ASPPConv(in_channels, out_channels, rate))
        modules.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(modules)

        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1),  # expect: BN204
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(0.5),
        )

    def forward(self, x):
        res = [conv(x) for conv in self.convs]
        return self.project(torch.cat(res, dim=1))


class DeepLabHead(nn.Sequential):
    def __init__(self, in_channels, num_classes, atrous_rates=(12, 24, 36)):
        super().__init__(
            ASPP(in_channels, atrous_rates),
            nn.Conv2d(256, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
            nn.Conv2d(256, num_classes, 1),
        )


class DeepLabV3(nn.Module):
    def __init__(self, num_classes=19, output_stride=8):
        super().__init__()
        dilation = [False, True, True] if output_stride == 8 else [False, False, True]
        rates = (12, 24, 36) if output_stride == 8 else (6, 12, 18)
        backbone = torchvision.models.resnet50(weights=None, replace_stride_with_dilation=dilation)
        self.backbone = IntermediateLayerGetter(backbone, return_layers={"layer4": "out"})
        self.classifier = DeepLabHead(2048, num_classes, rates)

    def forward(self, x):
        size = x.shape[-2:]
        feats = self.backbone(x)["out"]
        out = self.classifier(feats)
        return F.interpolate(out, size=size, mode="bilinear", align_corners=False)


def fast_hist(pred, label, n):
    k = (label >= 0) & (label < n)
    return torch.bincount(n * label[k] + pred[k], minlength=n ** 2).reshape(n, n)


def validate(model, loader, device, num_classes=19):
    model.eval()
    hist = torch.zeros(num_classes, num_classes, dtype=torch.long, device=device)
    with torch.no_grad():
        for image, target in loader:
            image, target = image.to(device), target.to(device)
            pred = model(image).argmax(1)
            hist += fast_hist(pred.flatten(), target.flatten(), num_classes)
    iou = hist.diag().float() / (hist.sum(0) + hist.sum(1) - hist.diag()).float().clamp(min=1)
    return iou.mean().item()


def train_one_epoch(model, loader, optimizer, scheduler, device, epoch, print_freq=50):
    model.train()
    t0 = time.time()
    for it, (image, target) in enumerate(loader):
        image, target = image.to(device), target.to(device)
        loss = F.cross_entropy(model(image), target, ignore_index=255)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if it % print_freq == 0:
            print(f"epoch {epoch} it {it}/{len(loader)} loss {loss.item():.4f} ({time.time() - t0:.1f}s)")


def get_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/cityscapes")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--crop-size", type=int, nargs=2, default=[1024, 2048])
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--output-stride", type=int, default=8)
    parser.add_argument("--save-dir", default="checkpoints/deeplabv3_r50_city")
    return parser.parse_args()


def main():
    args = get_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(args.save_dir, exist_ok=True)

    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    train_tf = Compose([CityscapesTrainIds(), RandomCrop(args.crop_size), RandomHorizontalFlip(), ToTensor(), Normalize(mean, std)])
    val_tf = Compose([CityscapesTrainIds(), ToTensor(), Normalize(mean, std)])
    train_set = torchvision.datasets.Cityscapes(args.data, split="train", mode="fine", target_type="semantic", transforms=train_tf)
    val_set = torchvision.datasets.Cityscapes(args.data, split="val", mode="fine", target_type="semantic", transforms=val_tf)

    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, pin_memory=True)  # expect: BN301
    val_loader = DataLoader(val_set, batch_size=1, shuffle=False, num_workers=args.workers)

    model = DeepLabV3(num_classes=19, output_stride=args.output_stride).to(device)
    params = [
        {"params": model.backbone.parameters(), "lr": args.lr * 0.1},
        {"params": model.classifier.parameters(), "lr": args.lr},
    ]
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=1e-4)
    total_iters = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: (1 - it / total_iters) ** 0.9)

    best = 0.0
    for epoch in range(args.epochs):
        train_one_epoch(model, train_loader, optimizer, scheduler, device, epoch)
        if (epoch + 1) % 10 == 0:
            miou = validate(model, val_loader, device)
            print(f"epoch {epoch}: mIoU {miou:.4f}")
            if miou > best:
                best = miou
                torch.save(model.state_dict(), os.path.join(args.save_dir, "best.pth"))


if __name__ == "__main__":
    main()
