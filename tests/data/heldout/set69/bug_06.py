"""Hybrid conv-stem + transformer classifier for small image datasets.

Single-GPU training script with MixUp/CutMix, AMP, a model EMA, warmup-cosine
LR, a confusion-matrix plot and TorchScript export of the best EMA weights.

    python bug_06.py --train-dir data/train --val-dir data/val --num-classes 37
"""
import argparse
import copy
import json
import logging
import math
import os
import time

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

logger = logging.getLogger("hybrid")


class ConvStem(nn.Module):
    """Three stride-2 convs: 224 -> 28, then a 1x1 projection to the token width."""

    def __init__(self, embed_dim=256):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False),
            nn.SyncBatchNorm(32),  # expect: BN303
            nn.GELU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.GELU(),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.GELU(),
        )
        self.proj = nn.Conv2d(128, embed_dim, 1, bias=False)
        self.proj_bn = nn.BatchNorm2d(embed_dim, momentum=0.9)  # expect: BN205

    def forward(self, x):
        return self.proj_bn(self.proj(self.body(x)))


class MixerStage(nn.Module):
    def __init__(self, embed_dim, heads, depth, mlp_ratio=4.0, drop=0.1):
        super().__init__()
        layers = []
        for _ in range(depth):
            layers.append(nn.TransformerEncoderLayer(
                d_model=embed_dim,
                nhead=heads,
                dim_feedforward=int(embed_dim * mlp_ratio),
                dropout=drop,
                activation="gelu",
                batch_first=True,
                norm_first=True,
            ))
        self.blocks = nn.Sequential(*layers)

    def forward(self, tokens):
        return self.blocks(tokens)


class HybridNet(nn.Module):
    def __init__(self, num_classes=1000, embed_dim=256, heads=8, depth=6, drop=0.1):
        super().__init__()
        self.stem = ConvStem(embed_dim)
        self.pos = nn.Parameter(torch.zeros(1, 28 * 28, embed_dim))
        self.encoder = nn.Sequential(
            MixerStage(embed_dim, heads, depth, drop=drop),
            nn.TransformerEncoderLayer(embed_dim, heads, embed_dim * 4, drop, batch_first=True),
            nn.BatchNorm1d(embed_dim),  # expect: BN203
        )
        self.head = nn.Linear(embed_dim, num_classes)
        nn.init.trunc_normal_(self.pos, std=0.02)

    def forward(self, x):
        feat = self.stem(x)
        tokens = feat.flatten(2).transpose(1, 2)
        tokens = tokens + self.pos[:, : tokens.size(1)]
        tokens = self.encoder(tokens)
        return self.head(tokens.mean(dim=1))


class ModelEma:
    def __init__(self, model, decay=0.9998):
        self.module = copy.deepcopy(model)
        self.module.eval()
        self.module.requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, model):
        for ema_v, v in zip(self.module.state_dict().values(), model.state_dict().values()):
            if ema_v.dtype.is_floating_point:
                ema_v.mul_(self.decay).add_(v.detach(), alpha=1.0 - self.decay)
            else:
                ema_v.copy_(v)


def rand_bbox(h, w, lam):
    cut = math.sqrt(1.0 - lam)
    ch, cw = int(h * cut), int(w * cut)
    cy, cx = np.random.randint(h), np.random.randint(w)
    y1, y2 = np.clip(cy - ch // 2, 0, h), np.clip(cy + ch // 2, 0, h)
    x1, x2 = np.clip(cx - cw // 2, 0, w), np.clip(cx + cw // 2, 0, w)
    return y1, y2, x1, x2


def mix_batch(images, targets, num_classes, mixup_alpha=0.8, cutmix_alpha=1.0, smoothing=0.1):
    onehot = F.one_hot(targets, num_classes).float()
    onehot = onehot * (1 - smoothing) + smoothing / num_classes
    perm = torch.randperm(images.size(0), device=images.device)
    if np.random.rand() < 0.5:
        lam = np.random.beta(mixup_alpha, mixup_alpha)
        images = lam * images + (1 - lam) * images[perm]
    else:
        lam = np.random.beta(cutmix_alpha, cutmix_alpha)
        y1, y2, x1, x2 = rand_bbox(images.size(2), images.size(3), lam)
        images = images.clone()
        images[:, :, y1:y2, x1:x2] = images[perm, :, y1:y2, x1:x2]
        lam = 1 - (y2 - y1) * (x2 - x1) / (images.size(2) * images.size(3))
    return images, lam * onehot + (1 - lam) * onehot[perm]


def soft_ce(logits, soft_targets):
    return torch.sum(-soft_targets * F.log_softmax(logits, dim=-1), dim=-1).mean()


def build_scheduler(optimizer, warmup_steps, total_steps):
    def fn(step):
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        t = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * t))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, fn)


@torch.no_grad()
def evaluate(net, loader, device, num_classes):
    net.eval()
    conf = torch.zeros(num_classes, num_classes, dtype=torch.long)
    loss_sum, n = 0.0, 0
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        logits = net(images)
        loss_sum += F.cross_entropy(logits, targets, reduction="sum").item()
        n += targets.numel()
        preds = logits.argmax(1)
        for t, p in zip(targets.cpu(), preds.cpu()):
            conf[t, p] += 1
    acc = conf.diag().sum().item() / max(1, n)
    return {"loss": loss_sum / max(1, n), "acc": acc}, conf


def plot_confusion(conf, classes, path):
    norm = conf.float() / conf.sum(1, keepdim=True).clamp(min=1)
    fig, ax = plt.subplots(figsize=(12, 12))
    ax.imshow(norm.numpy(), cmap="viridis")
    ax.set_xticks(range(len(classes)))
    ax.set_yticks(range(len(classes)))
    ax.set_xticklabels(classes, rotation=90, fontsize=6)
    ax.set_yticklabels(classes, fontsize=6)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-dir", required=True)
    ap.add_argument("--val-dir", required=True)
    ap.add_argument("--num-classes", type=int, required=True)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--warmup-epochs", type=int, default=5)
    ap.add_argument("--embed-dim", type=int, default=256)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--ema-decay", type=float, default=0.9998)
    ap.add_argument("--out", default="runs/hybrid")
    ap.add_argument("--no-amp", action="store_true")
    return ap.parse_args()


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    use_amp = device.type == "cuda" and not args.no_amp

    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(224, scale=(0.35, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.TrivialAugmentWide(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    val_tf = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    train_set = datasets.ImageFolder(args.train_dir, train_tf)
    val_set = datasets.ImageFolder(args.val_dir, val_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=128, shuffle=False, num_workers=8)

    model_kwargs = dict(num_classes=args.num_classes, embed_dim=args.embed_dim, heads=args.heads, depth=args.depth)
    model = HybridNet(**model_kwargs).to(device)
    ema = ModelEma(model, args.ema_decay)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1 and "pos" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1 or "pos" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    total_steps = args.epochs * len(train_loader)
    scheduler = build_scheduler(optimizer, args.warmup_epochs * len(train_loader), total_steps)
    scaler = torch.cuda.amp.GradScaler(enabled=use_amp)

    best_acc = 0.0
    best_path = os.path.join(args.out, "best.pth")
    log_path = os.path.join(args.out, "log.jsonl")
    for epoch in range(args.epochs):
        model.train()
        t0 = time.time()
        running, seen = 0.0, 0
        for images, targets in train_loader:
            images, targets = images.to(device, non_blocking=True), targets.to(device, non_blocking=True)
            images, soft = mix_batch(images, targets, args.num_classes)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_amp):
                loss = soft_ce(model(images), soft)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            ema.update(model)
            running += loss.item() * images.size(0)
            seen += images.size(0)

        val, _ = evaluate(model, val_loader, device, args.num_classes)
        val_ema, conf = evaluate(ema.module, val_loader, device, args.num_classes)
        row = {"epoch": epoch, "train_loss": running / max(1, seen), "val": val, "val_ema": val_ema,
               "lr": scheduler.get_last_lr()[0], "sec": round(time.time() - t0, 1)}
        logger.info(json.dumps(row))
        with open(log_path, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        if val_ema["acc"] > best_acc:
            best_acc = val_ema["acc"]
            torch.save({"epoch": epoch, "ema": ema.module.state_dict(), "acc": best_acc, "kwargs": model_kwargs}, best_path)
            plot_confusion(conf, train_set.classes, os.path.join(args.out, "confusion_best.png"))

    logger.info("best EMA top-1 %.4f, exporting", best_acc)
    ckpt = torch.load(best_path, map_location=device)
    export_model = HybridNet(**ckpt["kwargs"]).to(device)
    export_model.load_state_dict(ckpt["ema"])
    example = torch.randn(1, 3, 224, 224, device=device)
    traced = torch.jit.trace(export_model, example)  # expect: BN104
    traced.save(os.path.join(args.out, "hybrid_ema.torchscript.pt"))
    with open(os.path.join(args.out, "classes.json"), "w") as fh:
        json.dump(train_set.classes, fh)


if __name__ == "__main__":
    main()
