"""Train FPN-MobileNetV2 on the 1465-image "CamVid-extended" split.

1465 % 8 == 1: the loader drops the incomplete last batch so BN never sees a
single-sample batch.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from segfpn import FPN

NUM_CLASSES = 12
TRAIN_SIZE = 1465
VAL_SIZE = 233


class CamVidExtended(Dataset):
    def __init__(self, root, split, size, crop=(360, 480), train=True):
        self.root = root
        self.split = split
        self.size = size
        self.crop = crop
        self.train = train

    def __len__(self):
        return self.size

    def __getitem__(self, idx):
        img = Image.open(os.path.join(self.root, self.split, f"{idx:05d}.png")).convert("RGB")
        lbl = Image.open(os.path.join(self.root, self.split + "annot", f"{idx:05d}.png"))
        img = np.asarray(img, dtype=np.float32) / 255.0
        lbl = np.asarray(lbl, dtype=np.int64)
        if self.train:
            y = np.random.randint(0, img.shape[0] - self.crop[0] + 1)
            x = np.random.randint(0, img.shape[1] - self.crop[1] + 1)
            img = img[y:y + self.crop[0], x:x + self.crop[1]]
            lbl = lbl[y:y + self.crop[0], x:x + self.crop[1]]
            if np.random.rand() < 0.5:
                img, lbl = img[:, ::-1], lbl[:, ::-1]
        img = (img - 0.45) / 0.225
        return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))), torch.from_numpy(lbl.copy())


def confusion(pred, target, n):
    k = target < n
    return torch.bincount(n * target[k] + pred[k], minlength=n * n).reshape(n, n)


def evaluate(model, loader, device):
    hist = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.long)
    for img, lbl in loader:
        pred = model.predict(img.to(device)).argmax(1).cpu()
        hist += confusion(pred.flatten(), lbl.flatten(), NUM_CLASSES)
    iou = hist.diag().float() / (hist.sum(0) + hist.sum(1) - hist.diag()).float().clamp(min=1)
    return iou.mean().item()


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    for img, lbl in loader:
        img, lbl = img.to(device), lbl.to(device)
        loss = F.cross_entropy(model(img), lbl, ignore_index=255)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="data/camvid_ext")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-4)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = FPN(classes=NUM_CLASSES).to(device)

    train_set = CamVidExtended(args.root, "train", TRAIN_SIZE, train=True)
    val_set = CamVidExtended(args.root, "val", VAL_SIZE, train=False)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=4,
                              drop_last=True)
    val_loader = DataLoader(val_set, batch_size=1, shuffle=False, num_workers=2)

    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    best = 0.0
    for epoch in range(args.epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device)
        scheduler.step()
        if epoch % 5 == 4:
            miou = evaluate(model, val_loader, device)
            print(f"epoch {epoch}: loss {loss:.4f} mIoU {miou:.4f}")
            if miou > best:
                best = miou
                torch.save(model.state_dict(), "fpn_mbv2_camvid_best.pth")


if __name__ == "__main__":
    main()
