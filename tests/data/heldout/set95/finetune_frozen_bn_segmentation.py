"""Fine-tune a ResNet-50 + ASPP segmentation model on a small aerial dataset.

With 8 tiles of 512x512 per step the BN statistics of the pretrained
backbone are better than anything we could estimate, so all BatchNorm
layers are frozen (ImageNet statistics, no affine updates).
"""
import argparse
import glob
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.models import ResNet50_Weights, resnet50
from torchvision.models._utils import IntermediateLayerGetter


class ASPP(nn.Module):
    def __init__(self, in_ch=2048, out_ch=256, rates=(6, 12, 18)):
        super().__init__()
        branches = [nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, bias=False),
                                  nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))]
        for r in rates:
            branches.append(nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 3, padding=r, dilation=r, bias=False),
                nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True)))
        self.branches = nn.ModuleList(branches)
        self.project = nn.Sequential(
            nn.Conv2d(out_ch * len(branches), out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True), nn.Dropout(0.1))

    def forward(self, x):
        return self.project(torch.cat([b(x) for b in self.branches], dim=1))


class SegModel(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        backbone = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2,
                            replace_stride_with_dilation=[False, True, True])
        self.backbone = IntermediateLayerGetter(backbone, {"layer4": "out"})
        self.aspp = ASPP(2048, 256)
        self.classifier = nn.Conv2d(256, num_classes, 1)

    def forward(self, x):
        h, w = x.shape[-2:]
        out = self.classifier(self.aspp(self.backbone(x)["out"]))
        return F.interpolate(out, size=(h, w), mode="bilinear", align_corners=False)


def freeze_bn(model):
    """Freeze every BatchNorm layer: eval mode (fixed statistics), no gradients."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)


class TileDataset(Dataset):
    def __init__(self, root, split):
        self.images = sorted(glob.glob(os.path.join(root, split, "images", "*.png")))
        self.masks = [p.replace("/images/", "/masks/") for p in self.images]

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = np.asarray(Image.open(self.images[i]).convert("RGB"), dtype=np.float32) / 255.0
        img = (img - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
        mask = np.asarray(Image.open(self.masks[i]), dtype=np.int64)
        return torch.from_numpy(img.transpose(2, 0, 1)).float(), torch.from_numpy(mask)


@torch.no_grad()
def evaluate(model, loader, num_classes, device):
    model.eval()
    inter = torch.zeros(num_classes)
    union = torch.zeros(num_classes)
    for img, mask in loader:
        pred = model(img.to(device)).argmax(1).cpu()
        for c in range(num_classes):
            inter[c] += ((pred == c) & (mask == c)).sum()
            union[c] += ((pred == c) | (mask == c)).sum()
    return (inter / union.clamp(min=1)).mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/aerial")
    ap.add_argument("--num-classes", type=int, default=6)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader = DataLoader(TileDataset(args.root, "train"), batch_size=args.batch_size,
                              shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(TileDataset(args.root, "val"), batch_size=4, num_workers=4)

    model = SegModel(args.num_classes).to(device)
    freeze_bn(model)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.PolynomialLR(optimizer, args.epochs * len(train_loader))

    best = 0.0
    for epoch in range(args.epochs):
        model.train()  # expect: BN105
        for img, mask in train_loader:
            out = model(img.to(device))
            loss = F.cross_entropy(out, mask.to(device), ignore_index=255)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        miou = evaluate(model, val_loader, args.num_classes, device)
        if miou > best:
            best = miou
            torch.save(model.state_dict(), "aerial_aspp_best.pt")
        print(f"epoch {epoch}: mIoU {100 * miou:.2f} (best {100 * best:.2f})")


if __name__ == "__main__":
    main()
