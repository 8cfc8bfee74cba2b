"""Gradual unfreezing of an ImageNet ResNet-101 on histology tiles.

Patches are sampled at random from the large training tiles, so an "epoch" is a
fixed number of samples rather than a pass over the files.
Stage schedule: head only -> +layer4 -> +layer3 -> +layer2 (layer1 and the stem stay frozen).
"""
import glob
import os
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import models, transforms

TILE_DIR = "data/tiles"
VAL_DIR = "data/val_patches"
CLASSES = ["normal", "stroma", "tumor"]
PATCH = 224
SAMPLES_PER_EPOCH = 6145
BATCH_SIZE = 64
EPOCHS = 16
UNFREEZE_AT = {2: "layer4", 5: "layer3", 9: "layer2"}
BASE_LR = 3e-4


class RandomPatchDataset(Dataset):
    def __init__(self, tile_dir, transform):
        self.items = []
        for label, cls in enumerate(CLASSES):
            for path in sorted(glob.glob(os.path.join(tile_dir, cls, "*.png"))):
                self.items.append((path, label))
        self.transform = transform

    def __len__(self):
        return SAMPLES_PER_EPOCH

    def __getitem__(self, idx):
        path, label = random.choice(self.items)
        tile = Image.open(path).convert("RGB")
        x = random.randint(0, tile.width - PATCH)
        y = random.randint(0, tile.height - PATCH)
        patch = tile.crop((x, y, x + PATCH, y + PATCH))
        return self.transform(patch), label


class FolderPatchDataset(Dataset):
    def __init__(self, root, transform):
        self.items = [(p, i) for i, c in enumerate(CLASSES)
                      for p in sorted(glob.glob(os.path.join(root, c, "*.png")))]
        self.transform = transform

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        path, label = self.items[idx]
        return self.transform(Image.open(path).convert("RGB")), label


def freeze(module):
    module.eval()
    for p in module.parameters():
        p.requires_grad = False


def unfreeze(module):
    module.train()
    for p in module.parameters():
        p.requires_grad = True


def evaluate(model, loader, device):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(1).cpu()
            correct += (pred == y).sum().item()
            n += len(y)
    return correct / max(n, 1)


def main():
    device = torch.device("cuda")
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([
        transforms.RandomHorizontalFlip(), transforms.RandomVerticalFlip(),
        transforms.ColorJitter(0.1, 0.1, 0.05, 0.02), transforms.ToTensor(), norm,
    ])
    val_tf = transforms.Compose([transforms.ToTensor(), norm])

    train_loader = DataLoader(RandomPatchDataset(TILE_DIR, train_tf), batch_size=BATCH_SIZE, shuffle=True, num_workers=8)  # expect: BN302
    val_loader = DataLoader(FolderPatchDataset(VAL_DIR, val_tf), batch_size=128, num_workers=8)

    model = models.resnet101(weights=models.ResNet101_Weights.IMAGENET1K_V2)
    model.fc = nn.Linear(model.fc.in_features, len(CLASSES))
    for name in ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4"]:
        freeze(getattr(model, name))
    model.to(device)

    optimizer = torch.optim.AdamW(model.fc.parameters(), lr=BASE_LR, weight_decay=0.05)
    history = []
    for epoch in range(EPOCHS):
        if epoch in UNFREEZE_AT:
            stage = getattr(model, UNFREEZE_AT[epoch])
            unfreeze(stage)
            # discriminative LR: newly unfrozen stages learn slower
            optimizer.add_param_group({"params": stage.parameters(), "lr": BASE_LR / (2 ** len(optimizer.param_groups))})
            print(f"epoch {epoch}: unfroze {UNFREEZE_AT[epoch]}")

        model.train()  # expect: BN105
        losses = []
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

        acc = evaluate(model, val_loader, device)
        history.append((epoch, float(np.mean(losses)), acc))
        print(f"epoch {epoch:2d} loss {np.mean(losses):.4f} val_acc {acc:.4f}")

    torch.save({"state_dict": model.state_dict(), "history": history}, "r101_histo.pth")


if __name__ == "__main__":
    main()
