"""High-resolution aerial-image segmentation (2048x2048 tiles) on a single GPU.

Tiles are huge, so we train one tile per step and accumulate gradients.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from rich.logging import RichHandler
from torch.utils.data import DataLoader, Dataset
from torchvision import tv_tensors
from torchvision.io import decode_png, read_file
from torchvision.transforms import v2

log = logging.getLogger("aerial")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--root", type=Path, default=Path("/data/aerial"))
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--accum-steps", type=int, default=16)
    p.add_argument("--max-steps", type=int, default=40_000)
    p.add_argument("--eval-every", type=int, default=1_000)
    p.add_argument("--lr", type=float, default=1e-3)
    return p.parse_args()


class TileDataset(Dataset):
    def __init__(self, root: Path, split: str, train: bool) -> None:
        self.images = sorted((root / split / "images").glob("*.png"))
        self.train = train
        self.aug = v2.Compose([v2.RandomHorizontalFlip(), v2.RandomVerticalFlip()]) if train else None

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        img_path = self.images[idx]
        mask_path = img_path.parent.parent / "masks" / img_path.name
        image = tv_tensors.Image(decode_png(read_file(str(img_path))))
        mask = tv_tensors.Mask(decode_png(read_file(str(mask_path)))[0])
        if self.aug is not None:
            image, mask = self.aug(image, mask)
        return image.float().div(255), mask.long()


class DoubleConv(nn.Sequential):
    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__(
            nn.Conv2d(in_ch, out_ch, 3, padding=1),  # expect: BN204
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )


class UNet(nn.Module):
    def __init__(self, num_classes: int = 6, base: int = 32) -> None:
        super().__init__()
        chs = [base, base * 2, base * 4, base * 8]
        self.downs = nn.ModuleList()
        in_ch = 3
        for c in chs:
            self.downs.append(DoubleConv(in_ch, c))
            in_ch = c
        self.ups = nn.ModuleList()
        self.up_convs = nn.ModuleList()
        for c in reversed(chs[:-1]):
            self.ups.append(nn.ConvTranspose2d(in_ch, c, 2, stride=2))
            self.up_convs.append(DoubleConv(c * 2, c))
            in_ch = c
        self.head = nn.Conv2d(in_ch, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, down in enumerate(self.downs):
            x = down(x)
            if i < len(self.downs) - 1:
                skips.append(x)
                x = F.max_pool2d(x, 2)
        for up, conv in zip(self.ups, self.up_convs):
            x = up(x)
            x = conv(torch.cat([x, skips.pop()], dim=1))
        return self.head(x)


def main() -> None:
    args = parse_args()
    device = torch.device("cuda")
    model = UNet().to(device, memory_format=torch.channels_last)
    train_loader = DataLoader(TileDataset(args.root, "train", train=True), batch_size=args.batch_size, shuffle=True, num_workers=4, pin_memory=True)  # expect: BN301
    val_loader = DataLoader(TileDataset(args.root, "val", train=False), batch_size=1, num_workers=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scaler = torch.amp.GradScaler("cuda")

    step = 0
    while step < args.max_steps:
        model.train()
        for i, (image, mask) in enumerate(train_loader):
            image = image.to(device, memory_format=torch.channels_last)
            mask = mask.to(device)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.cross_entropy(model(image), mask) / args.accum_steps
            scaler.scale(loss).backward()
            if (i + 1) % args.accum_steps != 0:
                continue
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            step += 1

            if step % args.eval_every == 0:
                model.eval()  # expect: BN103
                inter = torch.zeros(6, device=device)
                union = torch.zeros(6, device=device)
                with torch.no_grad():
                    for v_img, v_mask in val_loader:
                        pred = model(v_img.to(device, memory_format=torch.channels_last)).argmax(1)
                        v_mask = v_mask.to(device)
                        for c in range(6):
                            inter[c] += ((pred == c) & (v_mask == c)).sum()
                            union[c] += ((pred == c) | (v_mask == c)).sum()
                log.info("step %d mIoU %.4f", step, (inter / union.clamp(min=1)).mean().item())
                torch.save(model.state_dict(), f"unet_step{step}.pt")
            if step >= args.max_steps:
                break


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, handlers=[RichHandler()])
    main()
