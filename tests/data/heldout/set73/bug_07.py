"""Fine-tune a keypoint heatmap network with frozen BatchNorm statistics.

Batches are small on the annotation GPUs, so the BatchNorm layers keep the
statistics and affine parameters of the pretrained checkpoint.
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class KeypointFiles(Dataset):
    def __init__(self, index_file):
        with open(index_file) as fh:
            self.items = [line.strip() for line in fh if line.strip()]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        sample = torch.load(self.items[i])
        return sample["image"], sample["heatmaps"]


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class HeatmapNet(nn.Module):
    def __init__(self, num_joints=17):
        super().__init__()
        self.enc1 = double_conv(3, 64)
        self.enc2 = double_conv(64, 128)
        self.enc3 = double_conv(128, 256)
        self.dec2 = double_conv(256 + 128, 128)
        self.dec1 = double_conv(128 + 64, 64)
        self.head = nn.Conv2d(64, num_joints, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        e3 = self.enc3(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([F.interpolate(e3, scale_factor=2.0), e2], 1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, scale_factor=2.0), e1], 1))
        return self.head(d1)


def freeze_batchnorm(model):
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
            if m.affine:
                m.weight.requires_grad_(False)
                m.bias.requires_grad_(False)


def make_evaluator(model, loader, device):
    def pck(pred, target, thr=0.5):
        b, j = pred.shape[:2]
        p = pred.flatten(2).argmax(-1)
        t = target.flatten(2).argmax(-1)
        w = pred.shape[-1]
        dist = torch.hypot((p % w - t % w).float(), (p // w - t // w).float())
        return (dist <= thr * math.sqrt(w)).float().mean().item()

    def run():
        model.eval()
        scores = []
        with torch.no_grad():
            for img, hm in loader:
                scores.append(pck(model(img.to(device)).cpu(), hm))
        return sum(scores) / max(len(scores), 1)

    return run


def train_one_epoch(model, loader, optimizer, device):
    model.train()  # expect: BN105
    total = 0.0
    for img, hm in loader:
        img, hm = img.to(device), hm.to(device)
        loss = F.mse_loss(model(img), hm)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total += loss.item()
    return total / max(len(loader), 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train-index", default="data/train.txt")
    p.add_argument("--val-index", default="data/val.txt")
    p.add_argument("--ckpt", default="weights/heatmapnet_coco.pt")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = HeatmapNet().to(device)
    model.load_state_dict(torch.load(args.ckpt, map_location=device))
    freeze_batchnorm(model)

    train_loader = DataLoader(KeypointFiles(args.train_index), batch_size=args.batch_size,
                              shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(KeypointFiles(args.val_index), batch_size=32, num_workers=4)
    evaluate = make_evaluator(model, val_loader, device)

    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    best = 0.0
    for epoch in range(args.epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device)
        scheduler.step()
        score = evaluate()
        print(f"epoch {epoch:02d} loss {loss:.5f} PCK {score:.4f}")
        if score > best:
            best = score
            torch.save(model.state_dict(), "weights/heatmapnet_ft.pt")


if __name__ == "__main__":
    main()
