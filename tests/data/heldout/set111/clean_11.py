"""Sartorius Cell Instance Segmentation -- two-model pipeline.

1. cell-type classifier (ResNet18 with BatchNorm), 224px crops, batch 32
2. semantic U-Net with GroupNorm only (no BatchNorm!) on full 520x704 images,
   batch 2: GroupNorm does not depend on the batch size.
3. test images are predicted one at a time (batch_size=1) in eval mode, because
   TTA + full resolution does not fit otherwise.
"""
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image
from torch.utils.data import DataLoader, Dataset

CELL_TYPES = ["shsy5y", "astro", "cort"]
CLS_BATCH = 32
SEG_BATCH = 2
TEST_BATCH = 1
ACCUM = 4
EPOCHS_CLS = 10
EPOCHS_SEG = 60
ROOT = "../input/sartorius-cell-instance-segmentation"
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def gn(ch, groups=8):
    return nn.GroupNorm(groups, ch)


class DoubleConv(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), gn(c_out), nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), gn(c_out), nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.net(x)


class GNUNet(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256)):
        super().__init__()
        self.downs = nn.ModuleList()
        c = 1
        for w in widths:
            self.downs.append(DoubleConv(c, w))
            c = w
        self.bottleneck = DoubleConv(widths[-1], widths[-1] * 2)
        self.ups = nn.ModuleList()
        self.up_convs = nn.ModuleList()
        c = widths[-1] * 2
        for w in reversed(widths):
            self.ups.append(nn.ConvTranspose2d(c, w, 2, stride=2))
            self.up_convs.append(DoubleConv(2 * w, w))
            c = w
        self.out = nn.Conv2d(widths[0], 3, 1)

    def forward(self, x):
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for up, conv, skip in zip(self.ups, self.up_convs, reversed(skips)):
            x = up(x)
            x = F.interpolate(x, size=skip.shape[-2:]) if x.shape[-2:] != skip.shape[-2:] else x
            x = conv(torch.cat([skip, x], 1))
        return self.out(x)


def make_classifier():
    net = torchvision.models.resnet18(weights=torchvision.models.ResNet18_Weights.DEFAULT)
    net.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    net.fc = nn.Linear(net.fc.in_features, len(CELL_TYPES))
    return net


class CropDataset(Dataset):
    def __init__(self, df):
        self.paths, self.labels = df.crop_path.values, df.cell_type.map(CELL_TYPES.index).values

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        img = np.asarray(Image.open(self.paths[i]).convert("L").resize((224, 224)), dtype=np.float32) / 255.0
        return torch.from_numpy(img)[None], int(self.labels[i])


class FullImageDataset(Dataset):
    def __init__(self, ids, img_dir, mask_dir=None):
        self.ids, self.img_dir, self.mask_dir = ids, img_dir, mask_dir

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        img = np.asarray(Image.open(os.path.join(self.img_dir, f"{self.ids[i]}.png")), dtype=np.float32) / 255.0
        img = torch.from_numpy(img)[None]
        if self.mask_dir is None:
            return img
        mask = np.load(os.path.join(self.mask_dir, f"{self.ids[i]}.npy")).astype(np.float32)  # (3, H, W)
        return img, torch.from_numpy(mask)


def train_classifier(df):
    loader = DataLoader(CropDataset(df), batch_size=CLS_BATCH, shuffle=True, num_workers=4, drop_last=True)
    model = make_classifier().to(DEVICE)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for epoch in range(EPOCHS_CLS):
        model.train()
        for x, y in loader:
            loss = F.cross_entropy(model(x.to(DEVICE)), y.to(DEVICE))
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"[cls] epoch {epoch} loss {loss.item():.4f}")
    return model


def train_segmenter(ids):
    loader = DataLoader(FullImageDataset(ids, f"{ROOT}/train_png", f"{ROOT}/train_masks"), batch_size=SEG_BATCH, shuffle=True, num_workers=4)
    model = GNUNet().to(DEVICE)
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    for epoch in range(EPOCHS_SEG):
        model.train()
        opt.zero_grad()
        for step, (x, m) in enumerate(loader):
            loss = F.binary_cross_entropy_with_logits(model(x.to(DEVICE)), m.to(DEVICE)) / ACCUM
            loss.backward()
            if (step + 1) % ACCUM == 0:
                opt.step()
                opt.zero_grad()
        print(f"[seg] epoch {epoch} loss {loss.item() * ACCUM:.4f}")
    return model


def predict_test(classifier, segmenter, test_ids):
    loader = DataLoader(FullImageDataset(test_ids, f"{ROOT}/test_png"), batch_size=TEST_BATCH, shuffle=False)
    classifier.eval()
    segmenter.eval()
    out = []
    with torch.no_grad():
        for img in loader:
            img = img.to(DEVICE)
            cell_type = classifier(F.interpolate(img, size=(224, 224))).argmax(1).item()
            prob = (segmenter(img).sigmoid() + segmenter(img.flip(-1)).sigmoid().flip(-1)) / 2
            out.append((CELL_TYPES[cell_type], prob[0, cell_type].cpu().numpy()))
    return out


if __name__ == "__main__":
    crops = pd.read_csv(f"{ROOT}/crops.csv")
    train_ids = pd.read_csv(f"{ROOT}/train.csv").id.unique()
    test_ids = [f[:-4] for f in sorted(os.listdir(f"{ROOT}/test_png"))]
    clf = train_classifier(crops)
    seg = train_segmenter(train_ids)
    preds = predict_test(clf, seg, test_ids)
    np.save("semantic_preds.npy", np.array([p for _, p in preds], dtype=object), allow_pickle=True)
