"""DeepLabV3-style segmentation on Pascal VOC, fine-tuning an ImageNet ResNet-50 with
its BatchNorm layers frozen (affine parameters and running statistics)."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision.models import ResNet50_Weights, resnet50

from voc_data import VOCSegmentation  # project-local dataset with joint transforms

ASPP_CHANNELS = 256


class ASPP(nn.Module):
    def __init__(self, in_channels, out_channels=ASPP_CHANNELS, rates=(6, 12, 18)):
        super().__init__()
        branches = [nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                  nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))]
        for rate in rates:
            branches.append(nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 3, padding=rate, dilation=rate, bias=False),
                nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)))
        self.branches = nn.ModuleList(branches)
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))
        self.project = nn.Sequential(
            nn.Conv2d(out_channels * (len(rates) + 2), out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True), nn.Dropout(0.1))

    def forward(self, x):
        feats = [b(x) for b in self.branches]
        pooled = F.interpolate(self.image_pool(x), size=x.shape[-2:], mode="bilinear", align_corners=False)
        return self.project(torch.cat(feats + [pooled], dim=1))


class DeepLabLite(nn.Module):
    def __init__(self, num_classes=21, freeze_backbone_bn=True):
        super().__init__()
        net = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2, replace_stride_with_dilation=[False, True, True])
        self.backbone = nn.Sequential(*list(net.children())[:-2])
        self.aspp = ASPP(2048)
        self.classifier = nn.Conv2d(ASPP_CHANNELS, num_classes, 1)
        self.freeze_backbone_bn = freeze_backbone_bn
        if freeze_backbone_bn:
            for m in self.backbone.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.requires_grad_(False)
                    m.bias.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_backbone_bn:
            for m in self.backbone.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def forward(self, x):
        size = x.shape[-2:]
        logits = self.classifier(self.aspp(self.backbone(x)))
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)


@torch.no_grad()
def evaluate(model, loader, device, num_classes=21):
    model.eval()
    hist = torch.zeros(num_classes, num_classes, dtype=torch.long, device=device)
    for images, masks in loader:
        images, masks = images.to(device), masks.to(device)
        preds = model(images).argmax(1)
        valid = masks != 255
        hist += torch.bincount(masks[valid] * num_classes + preds[valid],
                               minlength=num_classes ** 2).view(num_classes, num_classes)
    iou = hist.diag() / (hist.sum(0) + hist.sum(1) - hist.diag()).clamp(min=1)
    return iou.mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--voc-root", default="./VOCdevkit/VOC2012")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--iters", type=int, default=30000)
    args = parser.parse_args()

    device = torch.device("cuda")
    train_loader = DataLoader(VOCSegmentation(args.voc_root, "train_aug", crop=513), batch_size=args.batch_size,
                              shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(VOCSegmentation(args.voc_root, "val"), batch_size=1, num_workers=4)

    model = DeepLabLite().to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)
    poly = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=args.iters, power=0.9)

    step = 0
    while step < args.iters:
        model.train()
        for images, masks in train_loader:
            images, masks = images.to(device), masks.to(device)
            loss = F.cross_entropy(model(images), masks, ignore_index=255)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            poly.step()
            step += 1
            if step % 5000 == 0 or step == args.iters:
                print(f"step {step}: mIoU {evaluate(model, val_loader, device):.4f}")
                model.train()
            if step == args.iters:
                break
    torch.save(model.state_dict(), "deeplab_lite.pt")


if __name__ == "__main__":
    main()
