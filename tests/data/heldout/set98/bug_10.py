"""2D U-Net for nucleus segmentation, ported from our Keras (segmentation_models era) code.

Keras block that was translated:
    x = Conv2D(f, 3, padding="same", kernel_initializer="he_normal")(x)
    x = BatchNormalization()(x)
    x = Activation("relu")(x)
"""
import glob
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CONFIG = {
    "batch_size": 2,          # 512x512 tiles, same as the Keras run
    "epochs": 100,
    "lr": 1e-4,
    "tile": 512,
    "base_filters": 32,
    "n_classes": 3,           # background, nucleus, boundary
}


class DoubleConv(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1),  # expect: BN204
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, kernel_size=3, padding=1),  # expect: BN204
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )
        for m in self.block:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")

    def forward(self, x):
        return self.block(x)


class UNet(nn.Module):
    def __init__(self, in_ch=1, n_classes=3, f=32):
        super().__init__()
        self.enc1 = DoubleConv(in_ch, f)
        self.enc2 = DoubleConv(f, 2 * f)
        self.enc3 = DoubleConv(2 * f, 4 * f)
        self.enc4 = DoubleConv(4 * f, 8 * f)
        self.bottom = DoubleConv(8 * f, 16 * f)
        self.up4 = nn.ConvTranspose2d(16 * f, 8 * f, 2, stride=2)
        self.dec4 = DoubleConv(16 * f, 8 * f)
        self.up3 = nn.ConvTranspose2d(8 * f, 4 * f, 2, stride=2)
        self.dec3 = DoubleConv(8 * f, 4 * f)
        self.up2 = nn.ConvTranspose2d(4 * f, 2 * f, 2, stride=2)
        self.dec2 = DoubleConv(4 * f, 2 * f)
        self.up1 = nn.ConvTranspose2d(2 * f, f, 2, stride=2)
        self.dec1 = DoubleConv(2 * f, f)
        self.out = nn.Conv2d(f, n_classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        e3 = self.enc3(F.max_pool2d(e2, 2))
        e4 = self.enc4(F.max_pool2d(e3, 2))
        b = self.bottom(F.max_pool2d(e4, 2))
        d4 = self.dec4(torch.cat([self.up4(b), e4], 1))
        d3 = self.dec3(torch.cat([self.up3(d4), e3], 1))
        d2 = self.dec2(torch.cat([self.up2(d3), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.out(d1)


class NucleusTiles(Dataset):
    def __init__(self, root):
        self.images = sorted(glob.glob(os.path.join(root, "img", "*.npy")))
        self.masks = sorted(glob.glob(os.path.join(root, "mask", "*.npy")))

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = torch.from_numpy(np.load(self.images[i])).float()[None] / 255.0
        mask = torch.from_numpy(np.load(self.masks[i])).long()
        if torch.rand(1).item() < 0.5:
            img, mask = img.flip(-1), mask.flip(-1)
        return img, mask


@torch.inference_mode()
def predict_slide(model, image, tile=512, overlap=64):
    """Sliding-window prediction over a whole slide (1, H, W), like the Keras predict loop."""
    _, h, w = image.shape
    probs = torch.zeros(CONFIG["n_classes"], h, w)
    counts = torch.zeros(1, h, w)
    step = tile - overlap
    for y in range(0, max(h - overlap, 1), step):
        for x in range(0, max(w - overlap, 1), step):
            y0, x0 = min(y, h - tile), min(x, w - tile)
            patch = image[:, y0:y0 + tile, x0:x0 + tile].unsqueeze(0).cuda()
            logits = model(patch)  # expect: BN101
            probs[:, y0:y0 + tile, x0:x0 + tile] += logits.softmax(1)[0].cpu()
            counts[:, y0:y0 + tile, x0:x0 + tile] += 1
    return (probs / counts).argmax(0)


def main():
    train_ds = NucleusTiles("data/train")
    train_loader = DataLoader(train_ds, batch_size=CONFIG["batch_size"], shuffle=True, num_workers=4)  # expect: BN301
    model = UNet(1, CONFIG["n_classes"], CONFIG["base_filters"]).cuda()
    optimizer = torch.optim.Adam(model.parameters(), lr=CONFIG["lr"])
    weights = torch.tensor([0.2, 1.0, 3.0]).cuda()

    for epoch in range(CONFIG["epochs"]):
        model.train()
        running = 0.0
        for img, mask in train_loader:
            img, mask = img.cuda(), mask.cuda()
            loss = F.cross_entropy(model(img), mask, weight=weights)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        print(f"epoch {epoch + 1}: loss {running / len(train_loader):.4f}")
    torch.save(model.state_dict(), "unet_nuclei.pt")

    for path in sorted(glob.glob("data/slides/*.npy")):
        slide = torch.from_numpy(np.load(path)).float()[None] / 255.0
        seg = predict_slide(model, slide, tile=CONFIG["tile"])
        np.save(path.replace(".npy", "_seg.npy"), seg.numpy().astype(np.uint8))


if __name__ == "__main__":
    main()
