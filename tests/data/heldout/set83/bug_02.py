# LiTS liver segmentation, 2.5D slice U-Net (3 adjacent slices as channels)
# preprocessed slices live in h5 files: /data/lits_slices/{train,val}/volume-XX_slice-YYY.h5
import glob
import logging
import os

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
log = logging.getLogger("lits")

CFG = {
    "train_dir": "/data/lits_slices/train",
    "val_dir": "/data/lits_slices/val",
    "hu_window": (-200, 250),
    "batch_size": 16,
    "epochs": 60,
    "lr": 1e-3,
    "num_classes": 3,  # background, liver, tumour
    "ckpt": "checkpoints/lits_unet25d.pth",
}


class LiTSSlices(Dataset):
    def __init__(self, folder, augment=False):
        self.files = sorted(glob.glob(os.path.join(folder, "*.h5")))
        self.augment = augment
        self.lo, self.hi = CFG["hu_window"]

    def __len__(self):
        return len(self.files)

    def __getitem__(self, idx):
        with h5py.File(self.files[idx], "r") as f:
            img = f["image"][()]  # (3, 512, 512) HU
            mask = f["mask"][()]  # (512, 512)
        img = (np.clip(img, self.lo, self.hi) - self.lo) / (self.hi - self.lo)
        if self.augment and np.random.rand() < 0.5:
            img, mask = img[:, ::-1], mask[::-1]
        if self.augment and np.random.rand() < 0.5:
            k = np.random.randint(1, 4)
            img, mask = np.rot90(img, k, axes=(1, 2)), np.rot90(mask, k)
        return torch.from_numpy(img.astype(np.float32).copy()), torch.from_numpy(mask.astype(np.int64).copy())


def conv_block(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch, 0.9),  # expect: BN206
        nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, in_ch=3, num_classes=3, base=32):
        super().__init__()
        chs = [base, base * 2, base * 4, base * 8, base * 16]
        self.downs = nn.ModuleList()
        prev = in_ch
        for c in chs:
            self.downs.append(conv_block(prev, c))
            prev = c
        self.ups = nn.ModuleList()
        self.up_convs = nn.ModuleList()
        for c in reversed(chs[:-1]):
            self.ups.append(nn.ConvTranspose2d(c * 2, c, 2, stride=2))
            self.up_convs.append(conv_block(c * 2, c))
        self.out = nn.Conv2d(base, num_classes, 1)

    def forward(self, x):
        skips = []
        for i, down in enumerate(self.downs):
            x = down(x)
            if i < len(self.downs) - 1:
                skips.append(x)
                x = F.max_pool2d(x, 2)
        for up, conv, skip in zip(self.ups, self.up_convs, reversed(skips)):
            x = conv(torch.cat([up(x), skip], dim=1))
        return self.out(x)


def dice_per_class(pred, target, num_classes):
    out = []
    for c in range(1, num_classes):
        p, t = pred == c, target == c
        inter = (p & t).sum().item()
        denom = p.sum().item() + t.sum().item()
        out.append(1.0 if denom == 0 else 2 * inter / denom)
    return out


def train_one_epoch(model, loader, optimizer, criterion, device):
    model.train()
    total = 0.0
    for image, mask in tqdm(loader, leave=False):
        image, mask = image.to(device), mask.to(device)
        optimizer.zero_grad()
        loss = criterion(model(image), mask)
        loss.backward()
        optimizer.step()
        total += loss.item() * image.size(0)
    return total / len(loader.dataset)


@torch.no_grad()
def evaluate(model, loader, device):
    dices = []
    for image, mask in loader:
        image, mask = image.to(device), mask.to(device)
        logits = model(image)  # expect: BN101
        pred = logits.argmax(1)
        dices.append(dice_per_class(pred, mask, CFG["num_classes"]))
    return np.mean(np.array(dices), axis=0)


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_set = LiTSSlices(CFG["train_dir"], augment=True)
    val_set = LiTSSlices(CFG["val_dir"])
    train_loader = DataLoader(train_set, batch_size=CFG["batch_size"], shuffle=True, num_workers=6, pin_memory=True)
    val_loader = DataLoader(val_set, batch_size=CFG["batch_size"], shuffle=False, num_workers=6)
    log.info("train slices %d | val slices %d", len(train_set), len(val_set))

    model = UNet(num_classes=CFG["num_classes"]).to(device)
    # tumour is rare -> weight it up
    criterion = nn.CrossEntropyLoss(weight=torch.tensor([0.2, 1.0, 3.0], device=device))
    optimizer = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=5, factor=0.5)

    best_tumour = -1.0
    for epoch in range(1, CFG["epochs"] + 1):
        loss = train_one_epoch(model, train_loader, optimizer, criterion, device)
        liver, tumour = evaluate(model, val_loader, device)
        scheduler.step(tumour)
        log.info("epoch %d  loss %.4f  dice liver %.4f tumour %.4f", epoch, loss, liver, tumour)
        if tumour > best_tumour:
            best_tumour = tumour
            os.makedirs(os.path.dirname(CFG["ckpt"]), exist_ok=True)
            torch.save({"epoch": epoch, "model": model.state_dict(), "dice": tumour}, CFG["ckpt"])
    log.info("best tumour dice %.4f", best_tumour)


if __name__ == "__main__":
    main()
