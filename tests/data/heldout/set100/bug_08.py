"""Binary segmentation with a small encoder-decoder; best checkpoint exported to ONNX."""
import argparse
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from seg_data import MaskDataset  # project-local dataset (image, mask) pairs


def double_conv(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class TinyUNet(nn.Module):
    def __init__(self, base=32):
        super().__init__()
        self.enc1 = double_conv(3, base)
        self.enc2 = double_conv(base, base * 2)
        self.bottleneck = double_conv(base * 2, base * 4)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, 2, stride=2)
        self.dec2 = double_conv(base * 4, base * 2)
        self.up1 = nn.ConvTranspose2d(base * 2, base, 2, stride=2)
        self.dec1 = double_conv(base * 2, base)
        self.out = nn.Conv2d(base, 1, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        b = self.bottleneck(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.out(d1)


@contextmanager
def evaluating(*modules):
    """Temporarily switch modules to eval mode; restore their previous mode on exit."""
    previous = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m, was_training in zip(modules, previous):
            m.train(was_training)


def dice_score(logits, target, eps=1e-6):
    pred = (logits.sigmoid() > 0.5).float()
    inter = (pred * target).sum(dim=(1, 2, 3))
    union = pred.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3))
    return ((2 * inter + eps) / (union + eps)).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--onnx-out", default="tiny_unet.onnx")
    args = parser.parse_args()

    train_loader = DataLoader(MaskDataset("data/train"), batch_size=args.batch_size,
                              shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(MaskDataset("data/val"), batch_size=32, num_workers=4)

    model = TinyUNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    best_dice = 0.0

    for epoch in range(args.epochs):
        model.train()
        for image, mask in train_loader:
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(image), mask)
            loss.backward()
            optimizer.step()

        with evaluating(model), torch.no_grad():
            scores = [dice_score(model(image), mask).item() for image, mask in val_loader]
        dice = sum(scores) / len(scores)
        print(f"epoch {epoch}: val dice {dice:.4f}")
        if dice > best_dice:
            best_dice = dice
            torch.save(model.state_dict(), "tiny_unet_best.pt")

    model.load_state_dict(torch.load("tiny_unet_best.pt"))
    dummy = torch.randn(1, 3, 256, 256)
    torch.onnx.export(model, dummy, args.onnx_out, input_names=["image"], output_names=["mask_logits"], opset_version=17)  # expect: BN104
    print(f"exported {args.onnx_out} (best dice {best_dice:.4f})")


if __name__ == "__main__":
    main()
