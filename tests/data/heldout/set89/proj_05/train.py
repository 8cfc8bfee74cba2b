"""Train a U-Net (segkit) on synthetic VOC-sized data with an auxiliary presence head."""
import argparse
import logging
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from segkit import Unet
from segkit.datasets import SyntheticShapes, VOC_TRAINVAL_SIZE, VOC_VAL_SIZE, NUM_CLASSES

logger = logging.getLogger("segkit.train")


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--encoder", default="resnet34")
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--aux-weight", type=float, default=0.4)
    p.add_argument("--out", default="work_dirs/unet_r34_shapes")
    return p.parse_args()


def mean_iou(pred, target, num_classes):
    ious = []
    for c in range(num_classes):
        inter = ((pred == c) & (target == c)).sum().item()
        union = ((pred == c) | (target == c)).sum().item()
        if union > 0:
            ious.append(inter / union)
    return sum(ious) / max(len(ious), 1)


def evaluate(model, loader, device):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for img, mask, _ in loader:
            img, mask = img.to(device), mask.to(device)
            masks, _ = model(img)
            total += mean_iou(masks.argmax(1), mask, NUM_CLASSES)
            n += 1
    return total / max(n, 1)


def train_one_epoch(model, loader, optimizer, device, aux_weight):
    model.train()
    running = 0.0
    for step, (img, mask, present) in enumerate(loader):
        img, mask, present = img.to(device), mask.to(device), present.to(device)
        masks, labels = model(img)
        loss = F.cross_entropy(masks, mask) + aux_weight * F.binary_cross_entropy_with_logits(labels, present)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        running += loss.item()
        if step % 50 == 0:
            logger.info("step %d loss %.4f", step, loss.item())
    return running / max(len(loader), 1)


def main():
    args = parse_args()
    logging.basicConfig(level=logging.INFO)
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = Unet(
        encoder_name=args.encoder,
        classes=NUM_CLASSES,
        aux_params=dict(classes=NUM_CLASSES, hidden=256, dropout=0.1),
    ).to(device)

    train_set = SyntheticShapes(num_samples=VOC_TRAINVAL_SIZE, augment=True)
    val_set = SyntheticShapes(num_samples=VOC_VAL_SIZE, seed=1, augment=False)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, pin_memory=True)  # expect: BN302
    val_loader = DataLoader(val_set, batch_size=1, shuffle=False, num_workers=args.workers)

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    best = 0.0
    for epoch in range(args.epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device, args.aux_weight)
        scheduler.step()
        miou = evaluate(model, val_loader, device)
        logger.info("epoch %d: loss %.4f mIoU %.4f", epoch, loss, miou)
        if miou > best:
            best = miou
            torch.save(model.state_dict(), os.path.join(args.out, "best.pth"))


if __name__ == "__main__":
    main()
