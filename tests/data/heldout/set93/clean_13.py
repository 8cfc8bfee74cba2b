"""Semantic segmentation: U-Net with configurable norm layer, poly LR,
AMP, gradient accumulation and sliding-window inference.
"""
from __future__ import annotations

import argparse
import logging
import os
from functools import partial
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

log = logging.getLogger("seg")
NormFactory = Callable[[int], nn.Module]


# --------------------------------------------------------------------- model
class DoubleConv(nn.Sequential):
    def __init__(self, in_ch: int, out_ch: int, norm_layer: NormFactory = nn.BatchNorm2d,
                 mid_ch: Optional[int] = None) -> None:
        mid_ch = mid_ch or out_ch
        super().__init__(
            nn.Conv2d(in_ch, mid_ch, 3, padding=1, bias=False),
            norm_layer(mid_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 3, padding=1, bias=False),
            norm_layer(out_ch),
            nn.ReLU(inplace=True),
        )


class Down(nn.Sequential):
    def __init__(self, in_ch: int, out_ch: int, norm_layer: NormFactory) -> None:
        super().__init__(nn.MaxPool2d(2), DoubleConv(in_ch, out_ch, norm_layer))


class Up(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, norm_layer: NormFactory) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(in_ch, in_ch // 2, kernel_size=2, stride=2)
        self.conv = DoubleConv(in_ch, out_ch, norm_layer)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        dy, dx = skip.size(2) - x.size(2), skip.size(3) - x.size(3)
        x = F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(torch.cat([skip, x], dim=1))


class UNet(nn.Module):
    def __init__(self, in_channels: int = 3, num_classes: int = 21, base: int = 64,
                 norm_layer: Optional[NormFactory] = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        self.inc = DoubleConv(in_channels, base, norm_layer)
        self.down1 = Down(base, base * 2, norm_layer)
        self.down2 = Down(base * 2, base * 4, norm_layer)
        self.down3 = Down(base * 4, base * 8, norm_layer)
        self.down4 = Down(base * 8, base * 16, norm_layer)
        self.up1 = Up(base * 16, base * 8, norm_layer)
        self.up2 = Up(base * 8, base * 4, norm_layer)
        self.up3 = Up(base * 4, base * 2, norm_layer)
        self.up4 = Up(base * 2, base, norm_layer)
        self.outc = nn.Conv2d(base, num_classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x4 = self.down3(x3)
        x5 = self.down4(x4)
        x = self.up1(x5, x4)
        x = self.up2(x, x3)
        x = self.up3(x, x2)
        x = self.up4(x, x1)
        return self.outc(x)


NORMS: Dict[str, NormFactory] = {
    "bn": nn.BatchNorm2d,
    "bn_slow": partial(nn.BatchNorm2d, momentum=0.01),
    "gn": lambda c: nn.GroupNorm(min(32, c // 4), c),
}


# ---------------------------------------------------------------------- data
class SyntheticSeg(Dataset):
    def __init__(self, n: int, size: Tuple[int, int] = (512, 512), num_classes: int = 21) -> None:
        self.n, self.size, self.k = n, size, num_classes

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        img = torch.randn(3, *self.size, generator=g)
        mask = torch.randint(0, self.k, self.size, generator=g)
        mask[torch.rand(self.size, generator=g) < 0.02] = 255   # ignore label
        return img, mask


# ------------------------------------------------------------------ metrics
class ConfusionMatrix:
    def __init__(self, num_classes: int, ignore_index: int = 255) -> None:
        self.k, self.ignore = num_classes, ignore_index
        self.mat = torch.zeros(num_classes, num_classes, dtype=torch.long)

    def update(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        valid = target != self.ignore
        idx = target[valid] * self.k + pred[valid]
        self.mat += torch.bincount(idx.cpu(), minlength=self.k ** 2).view(self.k, self.k)

    def miou(self) -> float:
        inter = self.mat.diag().float()
        union = self.mat.sum(0).float() + self.mat.sum(1).float() - inter
        return (inter / union.clamp(min=1)).mean().item()


# ------------------------------------------------------------------ trainer
class SegTrainer:
    def __init__(self, model: nn.Module, num_classes: int, lr: float, max_iters: int,
                 accum_steps: int = 2, amp: bool = True, crop: int = 512) -> None:
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.num_classes = num_classes
        self.accum_steps = accum_steps
        self.crop = crop
        self.max_iters = max_iters
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt, lambda it: (1 - min(it, max_iters - 1) / max_iters) ** 0.9)
        self.scaler = torch.cuda.amp.GradScaler(enabled=amp and self.device.type == "cuda")
        self.amp = amp
        self.iteration = 0

    def train_epoch(self, loader: DataLoader) -> float:
        self.model.train()
        total, n = 0.0, 0
        try:
            self.opt.zero_grad(set_to_none=True)
            for i, (img, mask) in enumerate(loader):
                img, mask = img.to(self.device), mask.to(self.device)
                with torch.autocast(self.device.type, enabled=self.amp):
                    loss = F.cross_entropy(self.model(img), mask, ignore_index=255)
                self.scaler.scale(loss / self.accum_steps).backward()
                if (i + 1) % self.accum_steps == 0:
                    self.scaler.step(self.opt)
                    self.scaler.update()
                    self.opt.zero_grad(set_to_none=True)
                    self.sched.step()
                    self.iteration += 1
                total += loss.item()
                n += 1
        finally:
            # leave the model ready for inference (e.g. if training is interrupted)
            self.model.eval()
        return total / max(n, 1)

    @torch.no_grad()
    def infer_sliding_window(self, image: torch.Tensor, stride: Optional[int] = None) -> torch.Tensor:
        """Logits for a (1, 3, H, W) image; the caller puts the model in eval mode."""
        crop = self.crop
        stride = stride or crop * 2 // 3
        _, _, h, w = image.shape
        logits = torch.zeros(1, self.num_classes, h, w, device=image.device)
        count = torch.zeros(1, 1, h, w, device=image.device)
        ys = list(range(0, max(h - crop, 0) + 1, stride)) or [0]
        xs = list(range(0, max(w - crop, 0) + 1, stride)) or [0]
        if ys[-1] + crop < h:
            ys.append(h - crop)
        if xs[-1] + crop < w:
            xs.append(w - crop)
        for y0 in ys:
            for x0 in xs:
                tile = image[:, :, y0:y0 + crop, x0:x0 + crop]
                with torch.autocast(self.device.type, enabled=self.amp):
                    out = self.model(tile)
                logits[:, :, y0:y0 + crop, x0:x0 + crop] += out.float()
                count[:, :, y0:y0 + crop, x0:x0 + crop] += 1
        return logits / count

    def evaluate(self, loader: DataLoader) -> Dict[str, float]:
        self.model.eval()
        cm = ConfusionMatrix(self.num_classes)
        for img, mask in loader:
            for b in range(img.size(0)):
                logits = self.infer_sliding_window(img[b:b + 1].to(self.device))
                cm.update(logits.argmax(1)[0], mask[b].to(self.device))
        return {"mIoU": cm.miou()}

    def predict(self, images: List[torch.Tensor]) -> List[torch.Tensor]:
        self.model.eval()
        return [self.infer_sliding_window(im.unsqueeze(0).to(self.device)).argmax(1)[0].cpu()
                for im in images]

    def save(self, path: str, epoch: int) -> None:
        torch.save({"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                    "sched": self.sched.state_dict(), "scaler": self.scaler.state_dict(),
                    "epoch": epoch, "iteration": self.iteration}, path)

    def load(self, path: str) -> int:
        ck = torch.load(path, map_location=self.device)
        self.model.load_state_dict(ck["model"])
        self.opt.load_state_dict(ck["opt"])
        self.sched.load_state_dict(ck["sched"])
        self.scaler.load_state_dict(ck["scaler"])
        self.iteration = ck["iteration"]
        return ck["epoch"] + 1


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--norm", choices=sorted(NORMS), default="bn")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--accum-steps", type=int, default=2)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--resume", default=None)
    p.add_argument("--out", default="unet_ckpt")
    args = p.parse_args()

    train_ds = SyntheticSeg(1_464)
    val_ds = SyntheticSeg(100, size=(720, 960))
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=8)
    val_loader = DataLoader(val_ds, batch_size=1, num_workers=4)

    model = UNet(num_classes=21, norm_layer=NORMS[args.norm])
    iters_per_epoch = len(train_loader) // args.accum_steps
    trainer = SegTrainer(model, 21, args.lr, max_iters=args.epochs * iters_per_epoch,
                         accum_steps=args.accum_steps)
    start = trainer.load(args.resume) if args.resume else 0
    os.makedirs(args.out, exist_ok=True)
    best = 0.0
    for epoch in range(start, args.epochs):
        loss = trainer.train_epoch(train_loader)
        metrics = trainer.evaluate(val_loader)
        log.info("epoch %d loss %.4f %s", epoch, loss, metrics)
        trainer.save(os.path.join(args.out, "last.pt"), epoch)
        if metrics["mIoU"] > best:
            best = metrics["mIoU"]
            trainer.save(os.path.join(args.out, "best.pt"), epoch)


if __name__ == "__main__":
    main()
