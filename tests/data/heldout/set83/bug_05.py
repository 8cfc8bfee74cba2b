"""Kvasir-SEG polyp segmentation with an ImageNet-pretrained ResNet-18 style encoder.

Stage 1 (warm-up): encoder frozen, only the decoder is trained.
Stage 2: everything is fine-tuned with a 10x smaller LR on the encoder.
"""
import argparse
import os
from glob import glob

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.down is None else self.down(x)
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + idt)


class ResNet18Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = nn.Sequential(BasicBlock(64, 64), BasicBlock(64, 64))
        self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128))
        self.layer3 = nn.Sequential(BasicBlock(128, 256, 2), BasicBlock(256, 256))
        self.layer4 = nn.Sequential(BasicBlock(256, 512, 2), BasicBlock(512, 512))

    def forward(self, x):
        x0 = F.relu(self.bn1(self.conv1(x)))
        x1 = self.layer1(F.max_pool2d(x0, 3, 2, 1))
        x2 = self.layer2(x1)
        x3 = self.layer3(x2)
        x4 = self.layer4(x3)
        return x0, x1, x2, x3, x4


class DecoderBlock(nn.Module):
    def __init__(self, cin, cskip, cout):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(cin + cskip, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        )

    def forward(self, x, skip):
        x = F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([x, skip], 1))


class PolypUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = ResNet18Encoder()
        self.d4 = DecoderBlock(512, 256, 256)
        self.d3 = DecoderBlock(256, 128, 128)
        self.d2 = DecoderBlock(128, 64, 64)
        self.d1 = DecoderBlock(64, 64, 64)
        self.seg_head = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            nn.Conv2d(64, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 1, 1),
        )

    def forward(self, x):
        x0, x1, x2, x3, x4 = self.encoder(x)
        y = self.d4(x4, x3)
        y = self.d3(y, x2)
        y = self.d2(y, x1)
        y = self.d1(y, x0)
        return self.seg_head(y)


class KvasirSeg(Dataset):
    MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

    def __init__(self, root, names, size=352, train=True):
        self.root, self.names, self.size, self.train = root, names, size, train

    def __len__(self):
        return len(self.names)

    def __getitem__(self, i):
        img = cv2.imread(os.path.join(self.root, "images", self.names[i]))[:, :, ::-1]
        msk = cv2.imread(os.path.join(self.root, "masks", self.names[i]), cv2.IMREAD_GRAYSCALE)
        img = cv2.resize(img, (self.size, self.size)).astype(np.float32) / 255.0
        msk = (cv2.resize(msk, (self.size, self.size), interpolation=cv2.INTER_NEAREST) > 127).astype(np.float32)
        if self.train:
            if np.random.rand() < 0.5:
                img, msk = img[:, ::-1], msk[:, ::-1]
            if np.random.rand() < 0.5:
                img, msk = img[::-1], msk[::-1]
        img = (img - self.MEAN) / self.STD
        return torch.from_numpy(img.transpose(2, 0, 1).copy()), torch.from_numpy(msk[None].copy())


def structure_loss(logits, mask):
    bce = F.binary_cross_entropy_with_logits(logits, mask)
    p = torch.sigmoid(logits)
    inter = (p * mask).sum((2, 3))
    dice = 1 - (2 * inter + 1) / (p.sum((2, 3)) + mask.sum((2, 3)) + 1)
    return bce + dice.mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/Kvasir-SEG")
    ap.add_argument("--pretrained", default="weights/resnet18_imagenet_encoder.pth")
    ap.add_argument("--epochs", type=int, default=80)
    ap.add_argument("--warmup-epochs", type=int, default=10)
    ap.add_argument("--bs", type=int, default=16)
    args = ap.parse_args()

    names = sorted(os.path.basename(p) for p in glob(os.path.join(args.root, "images", "*.jpg")))
    rng = np.random.RandomState(42)
    rng.shuffle(names)
    n_val = len(names) // 10
    train_ds = KvasirSeg(args.root, names[n_val:], train=True)
    val_ds = KvasirSeg(args.root, names[:n_val], train=False)
    train_dl = DataLoader(train_ds, batch_size=args.bs, shuffle=True, num_workers=4, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=args.bs, shuffle=False, num_workers=4)

    device = torch.device("cuda")
    model = PolypUNet()
    model.encoder.load_state_dict(torch.load(args.pretrained, map_location="cpu"))
    model.to(device)

    model.encoder.requires_grad_(False)  # expect: BN105
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)

    best = 0.0
    for epoch in range(args.epochs):
        if epoch == args.warmup_epochs:
            model.encoder.requires_grad_(True)
            opt = torch.optim.Adam([
                {"params": model.encoder.parameters(), "lr": 1e-4},
                {"params": [p for n, p in model.named_parameters() if not n.startswith("encoder.")], "lr": 1e-3},
            ])
        model.train()
        for img, msk in train_dl:
            img, msk = img.to(device), msk.to(device)
            loss = structure_loss(model(img), msk)
            opt.zero_grad()
            loss.backward()
            opt.step()

        model.eval()
        dices = []
        with torch.no_grad():
            for img, msk in val_dl:
                pred = (torch.sigmoid(model(img.to(device))) > 0.5).float().cpu()
                inter = (pred * msk).sum((1, 2, 3))
                dices += ((2 * inter + 1) / (pred.sum((1, 2, 3)) + msk.sum((1, 2, 3)) + 1)).tolist()
        mdice = float(np.mean(dices))
        print(f"epoch {epoch + 1}: val mDice {mdice:.4f}")
        if mdice > best:
            best = mdice
            torch.save(model.state_dict(), "polyp_unet_best.pth")


if __name__ == "__main__":
    main()
