"""
UNet predicts all background at test time, training loss looks fine

Binary segmentation of cracks in concrete, 1024x1024 images. Train loss goes
down to 0.05 but on the validation set (model.eval()) every pixel is
predicted as background. If I leave the model in train mode for validation
the masks look ok. Run with: python train_unet.py --data ./cracks
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from crack_dataset import CrackDataset  # (image[3,H,W], mask[H,W]) pairs from a folder


def double_conv(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, in_ch=3, n_classes=2, base=32):
        super().__init__()
        self.down1 = double_conv(in_ch, base)
        self.down2 = double_conv(base, base * 2)
        self.down3 = double_conv(base * 2, base * 4)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, 2, stride=2)
        self.conv_up2 = double_conv(base * 4, base * 2)
        self.up1 = nn.ConvTranspose2d(base * 2, base, 2, stride=2)
        self.conv_up1 = double_conv(base * 2, base)
        self.out = nn.Conv2d(base, n_classes, 1)

    def forward(self, x):
        d1 = self.down1(x)
        d2 = self.down2(self.pool(d1))
        d3 = self.down3(self.pool(d2))
        u2 = self.conv_up2(torch.cat([self.up2(d3), d2], dim=1))
        u1 = self.conv_up1(torch.cat([self.up1(u2), d1], dim=1))
        return self.out(u1)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=2, help="full 1024x1024 images; 4 does not fit in 8 GB")
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda")
    train_ds = CrackDataset(args.data, split="train")
    val_ds = CrackDataset(args.data, split="val")
    train_dl = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)  # expect: BN301
    val_dl = DataLoader(val_ds, batch_size=1, shuffle=False)

    model = UNet().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(args.epochs):
        model.train()
        for img, mask in train_dl:
            img, mask = img.to(device), mask.to(device)
            loss = F.cross_entropy(model(img), mask)
            opt.zero_grad()
            loss.backward()
            opt.step()

        model.eval()
        inter = union = 0
        with torch.no_grad():
            for img, mask in val_dl:
                pred = model(img.to(device)).argmax(1).cpu()
                inter += ((pred == 1) & (mask == 1)).sum().item()
                union += ((pred == 1) | (mask == 1)).sum().item()
        print(f"epoch {epoch}: loss {loss.item():.4f}  val IoU {inter / max(union, 1):.4f}")


if __name__ == "__main__":
    main()
