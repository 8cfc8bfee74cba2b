"""DeepLabV3-style semantic segmentation on a Pascal-VOC-like folder layout.

    data/
      JPEGImages/*.jpg
      SegmentationClass/*.png
      ImageSets/Segmentation/{train,val}.txt

Runs training with a poly LR schedule, reports mIoU each epoch, and writes
coloured prediction overlays for a handful of validation images at the end.
"""
import argparse
import logging
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
import torchvision.transforms.functional as TF

log = logging.getLogger("seg")

VOC_CLASSES = 21
IGNORE_INDEX = 255
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def voc_palette(num_classes=256):
    palette = np.zeros((num_classes, 3), dtype=np.uint8)
    for k in range(num_classes):
        label, r, g, b = k, 0, 0, 0
        for j in range(8):
            r |= ((label >> 0) & 1) << (7 - j)
            g |= ((label >> 1) & 1) << (7 - j)
            b |= ((label >> 2) & 1) << (7 - j)
            label >>= 3
        palette[k] = (r, g, b)
    return palette


class JointTransform:
    def __init__(self, crop_size=513, scale_range=(0.5, 2.0), train=True):
        self.crop_size = crop_size
        self.scale_range = scale_range
        self.train = train

    def __call__(self, image, mask):
        if self.train:
            scale = random.uniform(*self.scale_range)
            w, h = image.size
            nw, nh = int(w * scale), int(h * scale)
            image = image.resize((nw, nh), Image.BILINEAR)
            mask = mask.resize((nw, nh), Image.NEAREST)
            pad_w = max(self.crop_size - nw, 0)
            pad_h = max(self.crop_size - nh, 0)
            if pad_w or pad_h:
                image = TF.pad(image, [0, 0, pad_w, pad_h], fill=0)
                mask = TF.pad(mask, [0, 0, pad_w, pad_h], fill=IGNORE_INDEX)
            w, h = image.size
            x0 = random.randint(0, w - self.crop_size)
            y0 = random.randint(0, h - self.crop_size)
            image = image.crop((x0, y0, x0 + self.crop_size, y0 + self.crop_size))
            mask = mask.crop((x0, y0, x0 + self.crop_size, y0 + self.crop_size))
            if random.random() < 0.5:
                image = TF.hflip(image)
                mask = TF.hflip(mask)
            image = TF.adjust_brightness(image, random.uniform(0.8, 1.2))
        tensor = TF.normalize(TF.to_tensor(image), MEAN, STD)
        target = torch.as_tensor(np.array(mask), dtype=torch.long)
        return tensor, target


class VOCSegmentation(Dataset):
    def __init__(self, root, split, transform):
        self.root = root
        list_file = os.path.join(root, "ImageSets", "Segmentation", f"{split}.txt")
        with open(list_file) as fh:
            self.ids = [line.strip() for line in fh if line.strip()]
        self.transform = transform

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, idx):
        name = self.ids[idx]
        image = Image.open(os.path.join(self.root, "JPEGImages", name + ".jpg")).convert("RGB")
        mask = Image.open(os.path.join(self.root, "SegmentationClass", name + ".png"))
        image, mask = self.transform(image, mask)
        return image, mask, name


def conv_bn_relu(in_ch, out_ch, kernel_size=3, dilation=1):
    padding = 0 if kernel_size == 1 else dilation
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size, padding=padding, dilation=dilation, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class ResidualUnit(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1, dilation=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.down = None
        if stride != 1 or in_ch != out_ch:
            self.down = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x):
        identity = x if self.down is None else self.down(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity, inplace=True)


class DilatedBackbone(nn.Module):
    """Output stride 8: the last two stages keep resolution and dilate instead."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        self.stage1 = nn.Sequential(ResidualUnit(64, 64), ResidualUnit(64, 64))
        self.stage2 = nn.Sequential(ResidualUnit(64, 128, stride=2), ResidualUnit(128, 128))
        self.stage3 = nn.Sequential(ResidualUnit(128, 256, dilation=2), ResidualUnit(256, 256, dilation=2))
        self.stage4 = nn.Sequential(ResidualUnit(256, 512, dilation=4), ResidualUnit(512, 512, dilation=4))
        self.out_channels = 512

    def forward(self, x):
        x = self.stem(x)
        x = self.stage1(x)
        x = self.stage2(x)
        x = self.stage3(x)
        return self.stage4(x)


class ASPP(nn.Module):
    def __init__(self, in_ch, out_ch=256, rates=(12, 24, 36)):
        super().__init__()
        self.branches = nn.ModuleList([conv_bn_relu(in_ch, out_ch, kernel_size=1)])
        for r in rates:
            self.branches.append(conv_bn_relu(in_ch, out_ch, dilation=r))
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_ch, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch, momentum=0.99),  # expect: BN205
            nn.ReLU(inplace=True),
        )
        self.project = nn.Sequential(
            nn.Conv2d(out_ch * 5, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch * 5),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.Dropout(0.1),
        )

    def forward(self, x):
        size = x.shape[-2:]
        feats = [branch(x) for branch in self.branches]
        pooled = self.image_pool(x)
        feats.append(F.interpolate(pooled, size=size, mode="bilinear", align_corners=False))
        return self.project(torch.cat(feats, dim=1))


class DeepLabV3(nn.Module):
    def __init__(self, num_classes=VOC_CLASSES):
        super().__init__()
        self.backbone = DilatedBackbone()
        self.aspp = ASPP(self.backbone.out_channels)
        self.head = nn.Sequential(
            conv_bn_relu(256, 256),
            nn.Conv2d(256, num_classes, 1),
        )

    def forward(self, x):
        size = x.shape[-2:]
        feats = self.backbone(x)
        logits = self.head(self.aspp(feats))
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)


class ConfusionMatrix:
    def __init__(self, num_classes):
        self.num_classes = num_classes
        self.mat = torch.zeros(num_classes, num_classes, dtype=torch.int64)

    def update(self, preds, targets):
        valid = targets != IGNORE_INDEX
        idx = targets[valid] * self.num_classes + preds[valid]
        self.mat += torch.bincount(idx.cpu(), minlength=self.num_classes ** 2).reshape(self.num_classes, self.num_classes)

    def miou(self):
        mat = self.mat.double()
        inter = mat.diag()
        union = mat.sum(0) + mat.sum(1) - inter
        iou = inter / union.clamp(min=1)
        return iou.mean().item(), iou.tolist()

    def pixel_acc(self):
        return (self.mat.diag().sum() / self.mat.sum().clamp(min=1)).item()


def poly_lr(optimizer, base_lr, it, max_it, power=0.9):
    lr = base_lr * (1 - it / max_it) ** power
    for i, group in enumerate(optimizer.param_groups):
        group["lr"] = lr * (10.0 if i == 1 else 1.0)
    return lr


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", default="runs/deeplab")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--crop", type=int, default=513)
    ap.add_argument("--lr", type=float, default=0.007)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--num-vis", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    return ap.parse_args()


def validate(model, loader, device):
    model.eval()
    cm = ConfusionMatrix(VOC_CLASSES)
    with torch.no_grad():
        for images, masks, _ in loader:
            images, masks = images.to(device), masks.to(device)
            preds = model(images).argmax(1)
            cm.update(preds, masks)
    model.train()
    miou, per_class = cm.miou()
    return miou, cm.pixel_acc(), per_class


@torch.no_grad()
def visualize_predictions(model, dataset, out_dir, device, count=8):
    os.makedirs(out_dir, exist_ok=True)
    palette = voc_palette()
    for i in range(min(count, len(dataset))):
        image, mask, name = dataset[i]
        logits = model(image.unsqueeze(0).to(device))  # expect: BN101
        pred = logits.argmax(1)[0].cpu().numpy().astype(np.uint8)
        rgb = image.cpu() * torch.tensor(STD).view(3, 1, 1) + torch.tensor(MEAN).view(3, 1, 1)
        rgb = (rgb.clamp(0, 1).permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        colour = palette[pred]
        overlay = (0.5 * rgb + 0.5 * colour).astype(np.uint8)
        gt = palette[np.where(mask.numpy() == IGNORE_INDEX, 0, mask.numpy())]
        panel = np.concatenate([rgb, overlay, gt], axis=1)
        Image.fromarray(panel).save(os.path.join(out_dir, f"{name}.png"))


def main():
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(message)s")
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(args.out, exist_ok=True)

    train_set = VOCSegmentation(args.data, "train", JointTransform(args.crop, train=True))
    val_set = VOCSegmentation(args.data, "val", JointTransform(args.crop, train=False))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, drop_last=True)  # expect: BN301
    val_loader = DataLoader(val_set, batch_size=1, shuffle=False, num_workers=args.workers)

    model = DeepLabV3().to(device)
    backbone_params = list(model.backbone.parameters())
    head_params = list(model.aspp.parameters()) + list(model.head.parameters())
    optimizer = torch.optim.SGD(
        [{"params": backbone_params}, {"params": head_params}],
        lr=args.lr, momentum=0.9, weight_decay=1e-4,
    )
    criterion = nn.CrossEntropyLoss(ignore_index=IGNORE_INDEX)

    max_it = args.epochs * len(train_loader)
    it = 0
    best_miou = 0.0
    history = []
    for epoch in range(args.epochs):
        model.train()
        t0 = time.time()
        running = 0.0
        for step, (images, masks, _) in enumerate(train_loader):
            images, masks = images.to(device), masks.to(device)
            lr = poly_lr(optimizer, args.lr, it, max_it)
            logits = model(images)
            loss = criterion(logits, masks)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
            it += 1
            if step % 20 == 0:
                log.info("ep %d step %d loss %.4f lr %.5f", epoch, step, loss.item(), lr)

        miou, pacc, per_class = validate(model, val_loader, device)
        history.append({"epoch": epoch, "loss": running / max(1, len(train_loader)), "miou": miou, "pacc": pacc})
        log.info("epoch %d: loss %.4f mIoU %.4f pixAcc %.4f (%.0fs)",
                 epoch, history[-1]["loss"], miou, pacc, time.time() - t0)
        if miou > best_miou:
            best_miou = miou
            torch.save(model.state_dict(), os.path.join(args.out, "best.pth"))

    torch.save(model.state_dict(), os.path.join(args.out, "final.pth"))
    with open(os.path.join(args.out, "history.tsv"), "w") as fh:
        fh.write("epoch\tloss\tmiou\tpacc\n")
        for row in history:
            fh.write(f"{row['epoch']}\t{row['loss']:.5f}\t{row['miou']:.5f}\t{row['pacc']:.5f}\n")
    visualize_predictions(model, val_set, os.path.join(args.out, "vis"), device, count=args.num_vis)
    log.info("best mIoU %.4f", best_miou)


if __name__ == "__main__":
    main()
