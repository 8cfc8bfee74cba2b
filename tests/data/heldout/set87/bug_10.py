"""Fine-tune an ImageNet ResNet-50 encoder with a light FCN-style head for road segmentation.

Full-resolution 1500x1500 aerial crops, hence the small default batch.
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
from torchvision import models
from torchvision.models._utils import IntermediateLayerGetter
import torchvision.transforms.functional as TF

NUM_CLASSES = 2


class RoadDataset(Dataset):
    def __init__(self, root, split="train"):
        self.images = sorted(glob.glob(os.path.join(root, split, "sat", "*.tiff")))
        self.masks = [p.replace("/sat/", "/map/").replace(".tiff", ".tif") for p in self.images]
        self.train = split == "train"

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = Image.open(self.images[i]).convert("RGB")
        mask = Image.open(self.masks[i]).convert("L")
        if self.train and np.random.rand() < 0.5:
            img, mask = TF.hflip(img), TF.hflip(mask)
        if self.train and np.random.rand() < 0.5:
            img, mask = TF.vflip(img), TF.vflip(mask)
        x = TF.normalize(TF.to_tensor(img), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        y = torch.from_numpy((np.array(mask) > 127).astype(np.int64))
        return x, y


class SegHead(nn.Module):
    def __init__(self, in_ch=2048, mid_ch=256, num_classes=NUM_CLASSES):
        super().__init__()
        self.proj = nn.Conv2d(in_ch, mid_ch, 1, bias=False)
        self.proj_bn = nn.BatchNorm2d(512)  # expect: BN201
        self.refine = nn.Sequential(
            nn.Conv2d(mid_ch, mid_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(mid_ch),
            nn.ReLU(inplace=True),
            nn.Dropout2d(0.1),
        )
        self.cls = nn.Conv2d(mid_ch, num_classes, 1)

    def forward(self, x):
        x = F.relu(self.proj_bn(self.proj(x)), inplace=True)
        x = self.refine(x)
        return self.cls(x)


class RoadSegmenter(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        backbone = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2,
                                   replace_stride_with_dilation=[False, True, True])
        self.backbone = IntermediateLayerGetter(backbone, return_layers={"layer4": "out"})
        self.head = SegHead(num_classes=num_classes)

    def forward(self, x):
        size = x.shape[-2:]
        feats = self.backbone(x)["out"]
        return F.interpolate(self.head(feats), size=size, mode="bilinear", align_corners=False)


def iou(pred, target, cls=1):
    inter = ((pred == cls) & (target == cls)).sum().item()
    union = ((pred == cls) | (target == cls)).sum().item()
    return inter / union if union else float("nan")


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/massachusetts_roads")
    ap.add_argument("--batch-size", type=int, default=1, help="images per step (full-res crops are big)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--workers", type=int, default=4)
    return ap.parse_args()


def main():
    args = parse()
    device = torch.device("cuda")
    train_loader = DataLoader(RoadDataset(args.root, "train"), batch_size=args.batch_size, shuffle=True, num_workers=args.workers)  # expect: BN301
    val_loader = DataLoader(RoadDataset(args.root, "val"), batch_size=1, num_workers=args.workers)

    model = RoadSegmenter().to(device)
    params = [
        {"params": model.backbone.parameters(), "lr": args.lr * 0.1},
        {"params": model.head.parameters(), "lr": args.lr},
    ]
    optimizer = torch.optim.SGD(params, momentum=0.9, weight_decay=1e-4)
    max_iter = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=max_iter, power=0.9)
    weights = torch.tensor([0.3, 1.0], device=device)

    for epoch in range(args.epochs):
        model.train()
        epoch_loss = 0.0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y, weight=weights)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            epoch_loss += loss.item()

        model.eval()
        ious = []
        with torch.no_grad():
            for x, y in val_loader:
                pred = model(x.to(device)).argmax(1).cpu()
                ious.append(iou(pred, y))
        print(f"epoch {epoch}: loss {epoch_loss / len(train_loader):.4f} road IoU {np.nanmean(ious):.4f}")
        torch.save(model.state_dict(), "road_seg_last.pth")


if __name__ == "__main__":
    main()
