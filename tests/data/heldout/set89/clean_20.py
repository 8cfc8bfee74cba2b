"""DeepLabV3+ (ResNet-101, OS16) on PASCAL VOC + SBD aug, single node.

BN settings follow the TF reference (eps 1e-3 in the decoder, default momentum).
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader

from voc_aug import VOCAugSegmentation, train_transforms, val_transforms


class SeparableConv2d(nn.Sequential):
    def __init__(self, in_channels, out_channels, kernel_size=3, dilation=1):
        super().__init__(
            nn.Conv2d(in_channels, in_channels, kernel_size, padding=dilation * (kernel_size // 2),
                      dilation=dilation, groups=in_channels, bias=False),
            nn.BatchNorm2d(in_channels, 1e-3),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels, 1e-3, 0.01),
            nn.ReLU(inplace=True),
        )


class ASPP(nn.Module):
    def __init__(self, in_channels, out_channels=256, rates=(6, 12, 18)):
        super().__init__()
        self.b0 = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                nn.BatchNorm2d(out_channels, 1e-5), nn.ReLU(inplace=True))
        self.branches = nn.ModuleList(SeparableConv2d(in_channels, out_channels, 3, r) for r in rates)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                  nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))
        self.project = nn.Sequential(nn.Conv2d(out_channels * (2 + len(rates)), out_channels, 1, bias=False),
                                     nn.BatchNorm2d(out_channels, eps=1e-3), nn.ReLU(inplace=True),
                                     nn.Dropout(0.1))

    def forward(self, x):
        size = x.shape[-2:]
        outs = [self.b0(x)] + [b(x) for b in self.branches]
        outs.append(F.interpolate(self.pool(x), size=size, mode="bilinear", align_corners=False))
        return self.project(torch.cat(outs, dim=1))


class DeepLabV3Plus(nn.Module):
    def __init__(self, num_classes=21):
        super().__init__()
        r = torchvision.models.resnet101(weights="IMAGENET1K_V1", replace_stride_with_dilation=[False, False, True])
        self.stem = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = r.layer1, r.layer2, r.layer3, r.layer4
        self.aspp = ASPP(2048)
        self.low_level = nn.Sequential(nn.Conv2d(256, 48, 1, bias=False), nn.BatchNorm2d(48, 1e-3),
                                       nn.ReLU(inplace=True))
        self.decoder = nn.Sequential(SeparableConv2d(256 + 48, 256), SeparableConv2d(256, 256))
        self.classifier = nn.Conv2d(256, num_classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        low = self.layer1(self.stem(x))
        high = self.aspp(self.layer4(self.layer3(self.layer2(low))))
        high = F.interpolate(high, size=low.shape[-2:], mode="bilinear", align_corners=False)
        out = self.decoder(torch.cat([high, self.low_level(low)], dim=1))
        return F.interpolate(self.classifier(out), size=size, mode="bilinear", align_corners=False)


def evaluate(model, loader, device, num_classes=21):
    model.train(mode=False)
    hist = torch.zeros(num_classes, num_classes, device=device, dtype=torch.long)
    with torch.no_grad():
        for img, target in loader:
            img, target = img.to(device), target.to(device)
            pred = model(img).argmax(1)
            k = target != 255
            hist += torch.bincount(num_classes * target[k] + pred[k], minlength=num_classes ** 2).view(
                num_classes, num_classes)
    iou = hist.diag().float() / (hist.sum(0) + hist.sum(1) - hist.diag()).clamp(min=1).float()
    return iou.mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="data/VOCdevkit")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--iters", type=int, default=30000)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--eval-interval", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    device = torch.device("cuda")
    model = DeepLabV3Plus(21).to(device)
    train_loader = DataLoader(VOCAugSegmentation(args.root, "train_aug", train_transforms(513)),
                              batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                              pin_memory=True, drop_last=True)
    val_loader = DataLoader(VOCAugSegmentation(args.root, "val", val_transforms()), batch_size=1,
                            num_workers=args.workers)

    backbone = [p for n, p in model.named_parameters() if n.startswith(("stem", "layer"))]
    head = [p for n, p in model.named_parameters() if not n.startswith(("stem", "layer"))]
    optimizer = torch.optim.SGD([{"params": backbone, "lr": args.lr}, {"params": head, "lr": args.lr * 10}],
                                lr=args.lr, momentum=0.9, weight_decay=1e-4)

    it = 0
    while it < args.iters:
        model.train()
        for img, target in train_loader:
            img, target = img.to(device, non_blocking=True), target.to(device, non_blocking=True)
            loss = F.cross_entropy(model(img), target, ignore_index=255)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            factor = (1 - it / args.iters) ** 0.9
            optimizer.param_groups[0]["lr"] = args.lr * factor
            optimizer.param_groups[1]["lr"] = args.lr * 10 * factor
            it += 1
            if it % args.eval_interval == 0:
                miou = evaluate(model, val_loader, device)
                print(f"iter {it}: mIoU {miou:.4f}")
                torch.save(model.state_dict(), os.path.join("checkpoints", f"deeplabv3plus_r101_{it}.pth"))
                model.train()
            if it >= args.iters:
                break


if __name__ == "__main__":
    main()
