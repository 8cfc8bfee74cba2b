"""PANDA (prostate cANcer graDe Assessment) -- tile classifier trained on randomly
sampled 256px tiles. An "epoch" is a fixed number of random tile draws, so the
dataset length is known in advance.
"""
import argparse
import random

import numpy as np
import pandas as pd
import tifffile
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn import BatchNorm2d as BN
from torch.utils.data import DataLoader, Dataset

TILE = 256
SAMPLES_PER_EPOCH = 8193
SAMPLES_FINETUNE = 4000
BATCH = 32
FT_BATCH = 24
EVAL_BATCH = 169               # one 13x13 slide grid per batch (eval only)
N_CLASSES = 6


def conv_bn_relu(c_in, c_out, stride=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), BN(c_out), nn.ReLU(inplace=True))


class TileNet(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256, 512)):
        super().__init__()
        layers, c = [], 3
        for w in widths:
            layers += [conv_bn_relu(c, w, stride=2), conv_bn_relu(w, w)]
            c = w
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, N_CLASSES)

    def forward(self, x):
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


class RandomTileDataset(Dataset):
    """Draws `n_samples` random tiles (with their ISUP grade) from the given slides."""

    def __init__(self, slides, grades, n_samples):
        self.slides = slides
        self.grades = grades
        self.n_samples = n_samples

    def __len__(self):
        return self.n_samples

    def __getitem__(self, i):
        k = random.randrange(len(self.slides))
        img = self.slides[k]
        y0 = random.randrange(0, img.shape[0] - TILE)
        x0 = random.randrange(0, img.shape[1] - TILE)
        tile = img[y0:y0 + TILE, x0:x0 + TILE].astype(np.float32) / 255.0
        if random.random() < 0.5:
            tile = tile[:, ::-1]
        return torch.from_numpy(tile.transpose(2, 0, 1).copy()), int(self.grades[k])


class GridTileDataset(Dataset):
    def __init__(self, slides, grades, grid=13):
        self.items = []
        for img, g in zip(slides, grades):
            ys = np.linspace(0, img.shape[0] - TILE, grid).astype(int)
            xs = np.linspace(0, img.shape[1] - TILE, grid).astype(int)
            self.items += [(img, y, x, g) for y in ys for x in xs]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        img, y, x, g = self.items[i]
        tile = img[y:y + TILE, x:x + TILE].astype(np.float32) / 255.0
        return torch.from_numpy(tile.transpose(2, 0, 1).copy()), int(g)


def run_epoch(model, loader, optimizer, device):
    model.train()
    for x, y in loader:
        loss = F.cross_entropy(model(x.to(device)), y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def evaluate(model, loader, device):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
            n += len(y)
    return correct / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default="../input/prostate-cancer-grade-assessment/train.csv")
    ap.add_argument("--img-dir", default="../input/prostate-cancer-grade-assessment/train_images")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    df = pd.read_csv(args.csv).sample(frac=1.0, random_state=0)
    read = lambda iid: tifffile.imread(f"{args.img_dir}/{iid}.tiff", key=2)
    val_df, trn_df = df.iloc[:12], df.iloc[12:400]
    trn_slides = [read(i) for i in trn_df.image_id]
    val_slides = [read(i) for i in val_df.image_id]

    train_ds = RandomTileDataset(trn_slides, trn_df.isup_grade.values, SAMPLES_PER_EPOCH)
    ft_ds = RandomTileDataset(trn_slides, trn_df.isup_grade.values, SAMPLES_FINETUNE)
    valid_ds = GridTileDataset(val_slides, val_df.isup_grade.values)
    train_dl = DataLoader(train_ds, batch_size=BATCH, shuffle=True, num_workers=4, drop_last=True)
    ft_dl = DataLoader(ft_ds, batch_size=FT_BATCH, shuffle=True, num_workers=4)
    valid_dl = DataLoader(valid_ds, batch_size=EVAL_BATCH, shuffle=False, num_workers=4)

    model = TileNet().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    for epoch in range(args.epochs):
        loss = run_epoch(model, train_dl, opt, device)
        print(f"epoch {epoch}: loss {loss:.4f} tile-acc {evaluate(model, valid_dl, device):.4f}")

    for g in opt.param_groups:
        g["lr"] = 5e-3
    for epoch in range(3):
        loss = run_epoch(model, ft_dl, opt, device)
        print(f"finetune {epoch}: loss {loss:.4f} tile-acc {evaluate(model, valid_dl, device):.4f}")
    torch.save(model.state_dict(), "tilenet.pth")


if __name__ == "__main__":
    main()
