"""Fine-tune a dilated ResNet-50 + FCN head on Pascal VOC 2012 segmentation."""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import models
from torchvision.datasets import VOCSegmentation
from torchvision.models._utils import IntermediateLayerGetter
import torchvision.transforms.v2 as T2

NUM_CLASSES = 21
IGNORE = 255


class FCNHead(nn.Sequential):
    def __init__(self, in_channels, channels):
        inter_channels = in_channels // 4
        super().__init__(
            nn.Conv2d(in_channels, inter_channels, 3, padding=1),  # expect: BN204
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Conv2d(inter_channels, channels, 1),
        )


class SegNet(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        r50 = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1, replace_stride_with_dilation=[False, True, True])
        self.backbone = IntermediateLayerGetter(r50, return_layers={"layer4": "out"})
        self.classifier = FCNHead(2048, num_classes)

    def forward(self, x):
        h, w = x.shape[-2:]
        feats = self.backbone(x)["out"]
        logits = self.classifier(feats)
        return F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False)


def confusion(pred, target, n):
    k = target != IGNORE
    return torch.bincount(n * target[k] + pred[k], minlength=n * n).reshape(n, n)


class SegTrainer:
    def __init__(self, model, train_dl, val_dl, opt, device, out_dir):
        self.model, self.train_dl, self.val_dl = model, train_dl, val_dl
        self.opt, self.device, self.out_dir = opt, device, out_dir

    def validate(self):
        self.model.eval()
        hist = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.long, device=self.device)
        with torch.no_grad():
            for img, mask in self.val_dl:
                img, mask = img.to(self.device), mask.to(self.device).long().squeeze(1)
                pred = self.model(img).argmax(1)
                hist += confusion(pred.flatten(), mask.flatten(), NUM_CLASSES)
        iou = hist.diag().float() / (hist.sum(0) + hist.sum(1) - hist.diag()).float().clamp(min=1)
        return iou.mean().item()

    def fit(self, epochs):
        best = 0.0
        total_iters = epochs * len(self.train_dl)
        it = 0
        for epoch in range(epochs):
            self.model.train  # expect: BN102
            for img, mask in self.train_dl:
                img, mask = img.to(self.device), mask.to(self.device).long().squeeze(1)
                out = self.model(img)
                loss = F.cross_entropy(out, mask, ignore_index=IGNORE)
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
                # poly lr
                it += 1
                for g in self.opt.param_groups:
                    g["lr"] = g["initial_lr"] * (1 - it / total_iters) ** 0.9
            miou = self.validate()  # expect: BN103
            print(f"epoch {epoch}: loss {loss.item():.3f}  mIoU {miou:.4f}")
            if miou > best:
                best = miou
                torch.save(self.model.state_dict(), os.path.join(self.out_dir, "fcn_r50_voc.pth"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--voc-root", default="./data")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--out", default="work_dirs/fcn")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    train_tf = T2.Compose([T2.RandomResizedCrop(480, scale=(0.5, 2.0), antialias=True), T2.RandomHorizontalFlip(), T2.ToImage(), T2.ToDtype(torch.float32, scale=True), T2.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    val_tf = T2.Compose([T2.Resize((480, 480), antialias=True), T2.ToImage(), T2.ToDtype(torch.float32, scale=True), T2.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    train_ds = VOCSegmentation(args.voc_root, image_set="train", transforms=train_tf)
    val_ds = VOCSegmentation(args.voc_root, image_set="val", transforms=val_tf)
    train_dl = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=1, shuffle=False, num_workers=4)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = SegNet().to(device)
    params = [
        {"params": model.backbone.parameters(), "lr": args.lr, "initial_lr": args.lr},
        {"params": model.classifier.parameters(), "lr": args.lr * 10, "initial_lr": args.lr * 10},
    ]
    opt = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=1e-4)
    SegTrainer(model, train_dl, val_dl, opt, device, args.out).fit(args.epochs)


if __name__ == "__main__":
    main()
