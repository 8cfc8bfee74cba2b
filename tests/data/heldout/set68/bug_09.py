"""Binary segmentation of micro-CT slices with early stopping.

Slices are large, so only a handful fit on the GPU at once. The best
checkpoint (lowest validation Dice loss) is reloaded for the final test.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class TinyUNet(nn.Module):
    def __init__(self, base=16):
        super().__init__()
        self.down1 = double_conv(1, base)
        self.down2 = double_conv(base, base * 2)
        self.mid = double_conv(base * 2, base * 4)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, 2, stride=2)
        self.dec2 = double_conv(base * 4, base * 2)
        self.up1 = nn.ConvTranspose2d(base * 2, base, 2, stride=2)
        self.dec1 = double_conv(base * 2, base)
        self.out = nn.Conv2d(base, 1, 1)

    def forward(self, x):
        d1 = self.down1(x)
        d2 = self.down2(F.max_pool2d(d1, 2))
        m = self.mid(F.max_pool2d(d2, 2))
        u2 = self.dec2(torch.cat([self.up2(m), d2], 1))
        u1 = self.dec1(torch.cat([self.up1(u2), d1], 1))
        return self.out(u1)


def dice_loss(logits, target, eps=1.0):
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum((1, 2, 3))
    union = prob.sum((1, 2, 3)) + target.sum((1, 2, 3))
    return (1 - (2 * inter + eps) / (union + eps)).mean()


class EarlyStopper:
    def __init__(self, patience=5, min_delta=1e-4):
        self.patience, self.min_delta = patience, min_delta
        self.best = float("inf")
        self.bad_epochs = 0

    def step(self, value):
        if value < self.best - self.min_delta:
            self.best, self.bad_epochs = value, 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def should_stop(self):
        return self.bad_epochs >= self.patience


def synthetic(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 256, 256, generator=g)
    y = (F.avg_pool2d(x, 9, stride=1, padding=4) > 0.1).float()
    return TensorDataset(x, y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=8)
    parser.add_argument("--ckpt", default="checkpoints/unet_best.pt")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(synthetic(600, 0), batch_size=4, shuffle=True, num_workers=4)  # expect: BN301
    val_loader = DataLoader(synthetic(80, 1), batch_size=8)
    test_loader = DataLoader(synthetic(80, 2), batch_size=8)

    model = TinyUNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=3)
    stopper = EarlyStopper(patience=args.patience)
    os.makedirs(os.path.dirname(args.ckpt), exist_ok=True)

    model.train()
    for epoch in range(1, args.epochs + 1):
        train_loss = 0.0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            logits = model(x)
            loss = F.binary_cross_entropy_with_logits(logits, y) + dice_loss(logits, y)
            loss.backward()
            optimizer.step()
            train_loss += loss.item() * x.size(0)

        model.eval()  # expect: BN103
        val_loss = 0.0
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device)
                val_loss += dice_loss(model(x), y).item() * x.size(0)
        val_loss /= len(val_loader.dataset)
        plateau.step(val_loss)
        print(f"epoch {epoch}: train {train_loss / len(train_loader.dataset):.4f} val dice loss {val_loss:.4f}")

        if stopper.step(val_loss):
            torch.save({"epoch": epoch, "model": model.state_dict()}, args.ckpt)
        if stopper.should_stop:
            print(f"early stop at epoch {epoch}")
            break

    best = TinyUNet()
    best.load_state_dict(torch.load(args.ckpt, map_location="cpu")["model"])
    best.to(device)
    dice_sum = 0.0
    with torch.no_grad():
        for x, y in test_loader:
            x, y = x.to(device), y.to(device)
            pred = best(x)  # expect: BN101
            dice_sum += (1 - dice_loss(pred, y)).item() * x.size(0)
    print(f"test Dice: {dice_sum / len(test_loader.dataset):.4f}")


if __name__ == "__main__":
    main()
