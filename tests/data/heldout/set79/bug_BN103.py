"""Road-scene semantic segmentation with a compact encoder/decoder."""
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

NUM_CLASSES = 6
EPOCHS = 40
VAL_EVERY = 2
IMG_SIZE = 128


class RoadScenes(Dataset):
    def __init__(self, n: int, seed: int):
        self.n = n
        self.seed = seed

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        rng = random.Random(self.seed * 100003 + idx)
        mask = torch.zeros(IMG_SIZE, IMG_SIZE, dtype=torch.long)
        horizon = rng.randint(40, 80)
        mask[horizon:] = 1
        for cls in range(2, NUM_CLASSES):
            x0, y0 = rng.randint(0, IMG_SIZE - 24), rng.randint(horizon, IMG_SIZE - 16)
            mask[y0:y0 + 16, x0:x0 + 24] = cls
        image = F.one_hot(mask, NUM_CLASSES).permute(2, 0, 1).float()[:3] + 0.3 * torch.randn(3, IMG_SIZE, IMG_SIZE)
        return image, mask


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class MiniUNet(nn.Module):
    def __init__(self, num_classes, base=32):
        super().__init__()
        self.enc1 = double_conv(3, base)
        self.enc2 = double_conv(base, base * 2)
        self.enc3 = double_conv(base * 2, base * 4)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, 2, stride=2)
        self.dec2 = double_conv(base * 4, base * 2)
        self.up1 = nn.ConvTranspose2d(base * 2, base, 2, stride=2)
        self.dec1 = double_conv(base * 2, base)
        self.head = nn.Conv2d(base, num_classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        e3 = self.enc3(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(e3), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.head(d1)


def mean_iou(logits, target, num_classes=NUM_CLASSES):
    pred = logits.argmax(dim=1)
    ious = []
    for c in range(num_classes):
        inter = ((pred == c) & (target == c)).sum().item()
        union = ((pred == c) | (target == c)).sum().item()
        if union:
            ious.append(inter / union)
    return sum(ious) / max(len(ious), 1)


def poly_lr(optimizer, base_lr, it, max_it, power=0.9):
    lr = base_lr * (1 - it / max_it) ** power
    for group in optimizer.param_groups:
        group["lr"] = lr
    return lr


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(RoadScenes(2000, seed=1), batch_size=16, shuffle=True, num_workers=4)
    val_loader = DataLoader(RoadScenes(300, seed=2), batch_size=32, num_workers=4)

    model = MiniUNet(NUM_CLASSES).to(device)
    base_lr = 0.01
    optimizer = torch.optim.SGD(model.parameters(), lr=base_lr, momentum=0.9, weight_decay=5e-4)
    max_it = EPOCHS * len(train_loader)
    it = 0
    best = -math.inf

    model.train()
    for epoch in range(EPOCHS):
        epoch_loss = 0.0
        for images, masks in train_loader:
            images, masks = images.to(device), masks.to(device)
            loss = F.cross_entropy(model(images), masks)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            poly_lr(optimizer, base_lr, it, max_it)
            it += 1
            epoch_loss += loss.item()

        if (epoch + 1) % VAL_EVERY == 0:
            model.eval()  # expect: BN103
            scores = []
            with torch.no_grad():
                for images, masks in val_loader:
                    scores.append(mean_iou(model(images.to(device)), masks.to(device)))
            miou = sum(scores) / len(scores)
            if miou > best:
                best = miou
                torch.save(model.state_dict(), "miniunet_best.pt")
            print(f"epoch {epoch + 1}: loss {epoch_loss / len(train_loader):.4f} mIoU {miou:.3f}")

    print(f"best mIoU {best:.3f}")


if __name__ == "__main__":
    main()
