# Bengali.AI Handwritten Grapheme Classification
# PyTorch port of our TF/Keras EfficientNet-style model (3 heads: root / vowel / consonant).
# Keras BN(momentum=0.99, epsilon=1e-3)  ->  torch BN(momentum=1-0.99, eps=1e-3)
import math
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

GLOBAL_PARAMS = dict(
    batch_norm_momentum=0.99,   # TF convention (weight of the running value)
    batch_norm_epsilon=1e-3,
    width_coefficient=1.0,
    depth_coefficient=1.1,
    dropout_rate=0.3,
)
# (expand_ratio, kernel, stride, in, out, repeats)
BLOCKS = [
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
]
HEAD_CH = 1280
N_ROOT, N_VOWEL, N_CONS = 168, 11, 7
IMG_H, IMG_W = 137, 236
BATCH_SIZE = 128
EPOCHS = 60


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class SqueezeExcite(nn.Module):
    def __init__(self, ch, se_ch):
        super().__init__()
        self.reduce = nn.Conv2d(ch, se_ch, 1)
        self.expand = nn.Conv2d(se_ch, ch, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = self.expand(F.silu(self.reduce(s)))
        return x * torch.sigmoid(s)


class MBConv(nn.Module):
    def __init__(self, c_in, c_out, expand, k, stride, bn_mom, bn_eps):
        super().__init__()
        mid = c_in * expand
        self.use_res = stride == 1 and c_in == c_out
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = nn.Conv2d(c_in, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(num_features=mid, momentum=bn_mom, eps=bn_eps)
        self._depthwise_conv = nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(num_features=mid, momentum=bn_mom, eps=bn_eps)
        self._se = SqueezeExcite(mid, max(1, c_in // 4))
        self._project_conv = nn.Conv2d(mid, c_out, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(num_features=c_out, momentum=bn_mom, eps=bn_eps)
        self._swish = Swish()

    def forward(self, x):
        h = x
        if self.expand:
            h = self._swish(self._bn0(self._expand_conv(h)))
        h = self._swish(self._bn1(self._depthwise_conv(h)))
        h = self._se(h)
        h = self._bn2(self._project_conv(h))
        return h + x if self.use_res else h


class GraphemeNet(nn.Module):
    def __init__(self, params=GLOBAL_PARAMS):
        super().__init__()
        bn_mom = 1 - params["batch_norm_momentum"]
        bn_eps = params["batch_norm_epsilon"]
        self._conv_stem = nn.Conv2d(1, 32, 3, 2, 1, bias=False)
        self._bn0 = nn.BatchNorm2d(32, bn_eps, bn_mom)
        blocks = []
        for expand, k, s, c_in, c_out, reps in BLOCKS:
            reps = int(math.ceil(params["depth_coefficient"] * reps))
            for i in range(reps):
                blocks.append(MBConv(c_in if i == 0 else c_out, c_out, expand, k, s if i == 0 else 1, bn_mom, bn_eps))
        self._blocks = nn.Sequential(*blocks)
        self._conv_head = nn.Conv2d(320, HEAD_CH, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(HEAD_CH, 1e-3)
        self._dropout = nn.Dropout(params["dropout_rate"])
        # per-task necks: feature-wise BN with the PyTorch default momentum and a cumulative one
        self.neck_root = nn.Sequential(nn.Linear(HEAD_CH, 512, bias=False), nn.BatchNorm1d(512, 1e-5, 0.1), Swish())
        self.neck_aux = nn.Sequential(nn.Linear(HEAD_CH, 256, bias=False), nn.BatchNorm1d(256, momentum=None), Swish())
        self.fc_root = nn.Linear(512, N_ROOT)
        self.fc_vowel = nn.Linear(256, N_VOWEL)
        self.fc_cons = nn.Linear(256, N_CONS)

    def forward(self, x):
        x = F.silu(self._bn0(self._conv_stem(x)))
        x = self._blocks(x)
        x = F.silu(self._bn1(self._conv_head(x)))
        x = self._dropout(F.adaptive_avg_pool2d(x, 1).flatten(1))
        r = self.neck_root(x)
        a = self.neck_aux(x)
        return self.fc_root(r), self.fc_vowel(a), self.fc_cons(a)


class GraphemeDataset(Dataset):
    def __init__(self, images, labels):
        self.images = images
        self.labels = labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = (255 - self.images[i].reshape(IMG_H, IMG_W)).astype(np.float32) / 255.0
        return torch.from_numpy(img)[None], torch.from_numpy(self.labels[i])


def train_epoch(model, loader, optimizer, device):
    model.train()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        r, v, c = model(x)
        loss = 2 * F.cross_entropy(r, y[:, 0]) + F.cross_entropy(v, y[:, 1]) + F.cross_entropy(c, y[:, 2])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def evaluate(model, loader, device):
    model.eval()
    hits = np.zeros(3)
    n = 0
    with torch.no_grad():
        for x, y in loader:
            outs = model(x.to(device))
            for j, o in enumerate(outs):
                hits[j] += (o.argmax(1).cpu() == y[:, j]).sum().item()
            n += len(y)
    return hits / n


if __name__ == "__main__":
    root = "../input/bengaliai-cv19"
    device = "cuda" if torch.cuda.is_available() else "cpu"
    imgs = np.concatenate([pd.read_parquet(os.path.join(root, f"train_image_data_{i}.parquet")).iloc[:, 1:].values for i in range(4)])
    labels = pd.read_csv(os.path.join(root, "train.csv"))[["grapheme_root", "vowel_diacritic", "consonant_diacritic"]].values
    idx = np.random.RandomState(0).permutation(len(imgs))
    n_val = len(imgs) // 10
    trn_dl = DataLoader(GraphemeDataset(imgs[idx[n_val:]], labels[idx[n_val:]]), batch_size=BATCH_SIZE, shuffle=True, num_workers=4)
    val_dl = DataLoader(GraphemeDataset(imgs[idx[:n_val]], labels[idx[:n_val]]), batch_size=BATCH_SIZE, shuffle=False, num_workers=4)

    model = GraphemeNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(EPOCHS):
        train_epoch(model, trn_dl, optimizer, device)
        acc = evaluate(model, val_dl, device)
        print(f"epoch {epoch}: root {acc[0]:.4f} vowel {acc[1]:.4f} consonant {acc[2]:.4f}")
        torch.save(model.state_dict(), "grapheme_effnet.pth")
