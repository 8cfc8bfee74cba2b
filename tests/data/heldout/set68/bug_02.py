"""Monocular depth regression trained with Hugging Face accelerate.

Launch with ``accelerate launch train_depth.py --epochs 30``. Gradient
accumulation and mixed precision are handled by the Accelerator.
"""
import argparse
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.utils.data import DataLoader, Dataset


class SyntheticDepthDataset(Dataset):
    def __init__(self, n: int, size: int = 64, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.images = torch.rand(n, 3, size, size, generator=g)
        self.depth = self.images.mean(dim=1, keepdim=True) * 10.0

    def __len__(self):
        return self.images.shape[0]

    def __getitem__(self, idx):
        return self.images[idx], self.depth[idx]


def down(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


def up(in_ch, out_ch):
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class DepthNet(nn.Module):
    def __init__(self, base: int = 32):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, base, 3, padding=1, bias=False),
            nn.BatchNorm2d(base),
            nn.ReLU(inplace=True),
        )
        self.enc1 = down(base, base * 2)
        self.enc2 = down(base * 2, base * 4)
        self.bottleneck = nn.Sequential(
            nn.Conv2d(base * 4, base * 4, 3, padding=1, bias=False),
            nn.BatchNorm2d(base * 4, momentum=0.99),  # expect: BN205
            nn.ReLU(inplace=True),
        )
        self.dec2 = up(base * 4, base * 2)
        self.dec1 = up(base * 2, base)
        self.out = nn.Conv2d(base, 1, 1)

    def forward(self, x):
        s = self.stem(x)
        e1 = self.enc1(s)
        e2 = self.enc2(e1)
        b = self.bottleneck(e2)
        d2 = self.dec2(b) + e1
        d1 = self.dec1(d2) + s
        return F.softplus(self.out(d1))


def evaluate(model, loader, accelerator):
    model.eval()
    abs_err = torch.zeros(1, device=accelerator.device)
    n_pix = torch.zeros(1, device=accelerator.device)
    with torch.no_grad():
        for images, depth in loader:
            pred = model(images)
            err, cnt = accelerator.gather_for_metrics(
                ((pred - depth).abs().sum().reshape(1), torch.tensor([depth.numel()], device=depth.device))
            )
            abs_err += err.sum()
            n_pix += cnt.sum()
    return (abs_err / n_pix).item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--grad-accum", type=int, default=4)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--out-dir", default="runs/depth")
    args = parser.parse_args()

    accelerator = Accelerator(gradient_accumulation_steps=args.grad_accum, mixed_precision="fp16")
    set_seed(1234)

    train_ds = SyntheticDepthDataset(4096, seed=1)
    val_ds = SyntheticDepthDataset(512, seed=2)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=4)
    val_loader = DataLoader(val_ds, batch_size=args.batch_size, num_workers=4)

    model = DepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(train_loader) / args.grad_accum)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch
    )
    model, optimizer, train_loader, val_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, val_loader, scheduler
    )

    best = float("inf")
    model.train()
    for epoch in range(args.epochs):
        running = 0.0
        for step, (images, depth) in enumerate(train_loader):
            with accelerator.accumulate(model):
                pred = model(images)
                loss = F.l1_loss(pred, depth) + 0.1 * F.mse_loss(pred.log1p(), depth.log1p())
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            running += loss.item()

        val_l1 = evaluate(model, val_loader, accelerator)  # expect: BN103
        accelerator.print(f"epoch {epoch}: train {running / len(train_loader):.4f} val L1 {val_l1:.4f}")
        if val_l1 < best:
            best = val_l1
            accelerator.wait_for_everyone()
            if accelerator.is_main_process:
                os.makedirs(args.out_dir, exist_ok=True)
                unwrapped = accelerator.unwrap_model(model)
                accelerator.save(unwrapped.state_dict(), os.path.join(args.out_dir, "best.pt"))

    accelerator.print(f"best val L1: {best:.4f}")
    accelerator.end_training()


if __name__ == "__main__":
    main()
