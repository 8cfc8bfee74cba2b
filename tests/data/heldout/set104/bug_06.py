"""
High-resolution satellite tile regression (e.g. crop yield) on a single 24 GB GPU.

1024x1024 tiles do not fit in memory with a normal batch, so we use a tiny
micro-batch with gradient accumulation and fp16 autocast to reach an
"effective" batch of micro_batch * accum_steps = 32.
"""
import argparse
import glob
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn import BatchNorm2d as BN
from torch.utils.data import DataLoader, Dataset


class TileDataset(Dataset):
    def __init__(self, root, split):
        self.files = sorted(glob.glob(os.path.join(root, split, "*.npz")))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        arr = np.load(self.files[i])
        x = torch.from_numpy(arr["bands"]).float()  # (C, H, W)
        y = torch.tensor(arr["yield"], dtype=torch.float32)
        return x, y


class MBConv(nn.Module):
    def __init__(self, c_in, c_out, expand=4, stride=1):
        super().__init__()
        hidden = c_in * expand
        self.use_res = stride == 1 and c_in == c_out
        self.block = nn.Sequential(
            nn.Conv2d(c_in, hidden, 1, bias=False),
            BN(hidden),
            nn.SiLU(),
            nn.Conv2d(hidden, hidden, 3, stride=stride, padding=1, groups=hidden, bias=False),
            BN(hidden),
            nn.SiLU(),
            nn.Conv2d(hidden, c_out, 1, bias=False),
            BN(c_out),
        )

    def forward(self, x):
        out = self.block(x)
        return x + out if self.use_res else out


class TileRegressor(nn.Module):
    def __init__(self, in_bands=13):
        super().__init__()
        self.stem_conv = nn.Conv2d(in_bands, 64, 3, stride=2, padding=1, bias=False)
        self.stem_bn = BN(64, 0.9)  # expect: BN206
        self.stages = nn.Sequential(
            MBConv(64, 64),
            MBConv(64, 96, stride=2),
            MBConv(96, 96),
            MBConv(96, 160, stride=2),
            MBConv(160, 160),
            MBConv(160, 256, stride=2),
        )
        self.head = nn.Linear(256, 1)

    def forward(self, x):
        x = F.silu(self.stem_bn(self.stem_conv(x)))
        x = self.stages(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(x).squeeze(1)


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/mnt/tiles")
    ap.add_argument("--micro-batch-size", type=int, default=2)
    ap.add_argument("--accum-steps", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--log", default="train_log.jsonl")
    return ap.parse_args()


def evaluate(model, loader, device):
    model.eval()
    se, n = 0.0, 0
    with torch.inference_mode():
        for x, y in loader:
            with torch.autocast("cuda", dtype=torch.float16):
                pred = model(x.to(device))
            se += F.mse_loss(pred.float(), y.to(device), reduction="sum").item()
            n += y.numel()
    model.train()
    return (se / n) ** 0.5


def main():
    args = parse()
    device = torch.device("cuda")
    train_loader = DataLoader(TileDataset(args.root, "train"), batch_size=args.micro_batch_size, shuffle=True, num_workers=4, pin_memory=True)  # expect: BN301
    val_loader = DataLoader(TileDataset(args.root, "val"), batch_size=4, num_workers=4)

    model = TileRegressor().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    scaler = torch.cuda.amp.GradScaler()

    model.train()
    for epoch in range(args.epochs):
        optimizer.zero_grad(set_to_none=True)
        for i, (x, y) in enumerate(train_loader):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.mse_loss(model(x), y) / args.accum_steps
            scaler.scale(loss).backward()
            if (i + 1) % args.accum_steps == 0:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                scaler.step(optimizer)
                scaler.update()
                optimizer.zero_grad(set_to_none=True)

        rmse = evaluate(model, val_loader, device)
        with open(args.log, "a") as f:
            f.write(json.dumps({"epoch": epoch, "val_rmse": rmse}) + "\n")
        torch.save(model.state_dict(), f"tile_regressor_e{epoch}.pt")


if __name__ == "__main__":
    main()
