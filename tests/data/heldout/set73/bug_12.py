"""Semantic segmentation of road scenes with a separate encoder and decoder.

The encoder stem comes from an ImageNet checkpoint and is kept fixed.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


def cbr(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(cbr(3, 32, 2), cbr(32, 32))
        self.down1 = nn.Sequential(cbr(32, 64, 2), cbr(64, 64))
        self.down2 = nn.Sequential(cbr(64, 128, 2), cbr(128, 128))
        self.down3 = nn.Sequential(cbr(128, 256, 2), cbr(256, 256))

    def forward(self, x):
        s = self.stem(x)
        d1 = self.down1(s)
        d2 = self.down2(d1)
        return [s, d1, d2, self.down3(d2)]


class Decoder(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.up3 = cbr(256 + 128, 128)
        self.up2 = cbr(128 + 64, 64)
        self.up1 = cbr(64 + 32, 32)
        self.cls = nn.Conv2d(32, num_classes, 1)

    def forward(self, feats):
        s, d1, d2, d3 = feats
        x = self.up3(torch.cat([F.interpolate(d3, size=d2.shape[-2:], mode="bilinear"), d2], 1))
        x = self.up2(torch.cat([F.interpolate(x, size=d1.shape[-2:], mode="bilinear"), d1], 1))
        x = self.up1(torch.cat([F.interpolate(x, size=s.shape[-2:], mode="bilinear"), s], 1))
        return F.interpolate(self.cls(x), scale_factor=2.0, mode="bilinear")


def confusion(pred, target, n, ignore=255):
    keep = target != ignore
    idx = target[keep] * n + pred[keep]
    return torch.bincount(idx, minlength=n * n).reshape(n, n)


def evaluate(encoder, decoder, loader, device, num_classes):
    encoder.eval()
    conf = torch.zeros(num_classes, num_classes, dtype=torch.long)
    with torch.no_grad():
        for img, mask in loader:
            feats = encoder(img.to(device))
            logits = decoder(feats)  # expect: BN101
            conf += confusion(logits.argmax(1).cpu(), mask, num_classes)
    encoder.train()
    inter = conf.diag().float()
    union = conf.sum(0).float() + conf.sum(1).float() - inter
    return (inter / union.clamp_min(1)).mean().item()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="data/roads_train.pt")
    p.add_argument("--val", default="data/roads_val.pt")
    p.add_argument("--stem-ckpt", default="weights/encoder_in1k.pt")
    p.add_argument("--classes", type=int, default=19)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--iters", type=int, default=40_000)
    p.add_argument("--eval-every", type=int, default=4_000)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader = DataLoader(torch.load(args.train), batch_size=args.batch_size, shuffle=True,
                              drop_last=True, num_workers=6)
    val_loader = DataLoader(torch.load(args.val), batch_size=8, num_workers=4)

    encoder = Encoder().to(device)
    decoder = Decoder(args.classes).to(device)
    encoder.load_state_dict(torch.load(args.stem_ckpt, map_location=device), strict=False)
    encoder.stem.requires_grad_(False)  # expect: BN105
    modules = [encoder, decoder]

    params = [p for m in modules for p in m.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)
    poly = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: (1 - it / args.iters) ** 0.9)

    it = 0
    best = 0.0
    while it < args.iters:
        for m in modules:
            m.train()
        for img, mask in train_loader:
            img, mask = img.to(device), mask.to(device)
            logits = decoder(encoder(img))
            loss = F.cross_entropy(logits, mask, ignore_index=255)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            poly.step()
            it += 1
            if it % args.eval_every == 0:
                miou = evaluate(encoder, decoder, val_loader, device, args.classes)
                print(f"iter {it}: loss {loss.item():.4f} mIoU {miou:.4f}")
                if miou > best:
                    best = miou
                    torch.save({"encoder": encoder.state_dict(), "decoder": decoder.state_dict()},
                               "weights/seg_best.pt")
            if it >= args.iters:
                break


if __name__ == "__main__":
    main()
