"""Binary segmentation engine (small U-Net) with gradient accumulation.

All state lives on the Engine: model, optimiser, loaders, best score.
"""
import json
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CFG = {
    "epochs": 40,
    "lr": 3e-4,
    "batch_size": 16,
    "accum_steps": 4,
    "base": 32,
    "image_size": 256,
    "out": "runs/unet",
}


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UpBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cout, 2, stride=2)
        self.conv = nn.Conv2d(cout * 2, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout, momentum=0.99)  # expect: BN205
        self.act = nn.ReLU(inplace=True)

    def forward(self, x, skip):
        x = self.up(x)
        x = torch.cat([x, skip], dim=1)
        return self.act(self.bn(self.conv(x)))


class UNet(nn.Module):
    def __init__(self, base=32):
        super().__init__()
        self.enc1 = double_conv(3, base)
        self.enc2 = double_conv(base, base * 2)
        self.enc3 = double_conv(base * 2, base * 4)
        self.pool = nn.MaxPool2d(2)
        self.up2 = UpBlock(base * 4, base * 2)
        self.up1 = UpBlock(base * 2, base)
        self.out = nn.Conv2d(base, 1, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        e3 = self.enc3(self.pool(e2))
        d2 = self.up2(e3, e2)
        d1 = self.up1(d2, e1)
        return self.out(d1)


class MaskDataset(Dataset):
    def __init__(self, root, split):
        self.items = sorted(Path(root, split, "images").glob("*.npy"))
        self.root = Path(root, split)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        img = np.load(self.items[idx]).astype(np.float32) / 255.0
        mask = np.load(self.root / "masks" / self.items[idx].name).astype(np.float32)
        return torch.from_numpy(img).permute(2, 0, 1), torch.from_numpy(mask)[None]


def dice_score(logits, target, eps=1e-6):
    pred = (logits.sigmoid() > 0.5).float()
    inter = (pred * target).sum(dim=(1, 2, 3))
    union = pred.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3))
    return ((2 * inter + eps) / (union + eps)).mean()


class Engine:
    def __init__(self, model, loaders, cfg):
        self.cfg = cfg
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model = model.to(self.device)
        self.loaders = loaders
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg["lr"])
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
            self.optimizer, T_max=cfg["epochs"])
        self.accum_steps = cfg["accum_steps"]
        self.best = 0.0
        os.makedirs(cfg["out"], exist_ok=True)

    def loss_fn(self, logits, masks):
        bce = F.binary_cross_entropy_with_logits(logits, masks)
        probs = logits.sigmoid()
        inter = (probs * masks).sum()
        dice = 1 - (2 * inter + 1) / (probs.sum() + masks.sum() + 1)
        return bce + dice

    def evaluate(self):
        self.model.eval()
        scores = []
        with torch.no_grad():
            for images, masks in self.loaders["val"]:
                images, masks = images.to(self.device), masks.to(self.device)
                scores.append(dice_score(self.model(images), masks).item())
        return float(np.mean(scores))

    def fit(self):
        self.model.train()
        log = []
        for epoch in range(self.cfg["epochs"]):
            self.optimizer.zero_grad()
            for i, (images, masks) in enumerate(self.loaders["train"]):
                images, masks = images.to(self.device), masks.to(self.device)
                loss = self.loss_fn(self.model(images), masks) / self.accum_steps
                loss.backward()
                if (i + 1) % self.accum_steps == 0:
                    self.optimizer.step()
                    self.optimizer.zero_grad()
            self.scheduler.step()
            dice = self.evaluate()  # expect: BN103
            log.append({"epoch": epoch, "dice": dice, "lr": self.scheduler.get_last_lr()[0]})
            if dice > self.best:
                self.best = dice
                torch.save(self.model.state_dict(), os.path.join(self.cfg["out"], "best.pt"))
        with open(os.path.join(self.cfg["out"], "log.json"), "w") as fh:
            json.dump(log, fh, indent=2)
        return self.best


if __name__ == "__main__":
    train_ds = MaskDataset("data/seg", "train")
    val_ds = MaskDataset("data/seg", "val")
    loaders = {
        "train": DataLoader(train_ds, batch_size=CFG["batch_size"], shuffle=True,
                            num_workers=4, drop_last=True),
        "val": DataLoader(val_ds, batch_size=4, shuffle=False, num_workers=2),
    }
    engine = Engine(UNet(CFG["base"]), loaders, CFG)
    print("best dice", engine.fit())
