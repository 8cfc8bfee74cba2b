"""Joint lesion segmentation + benign/malignant classification on BUSI
(breast ultrasound). Encoder initialised from a self-supervised checkpoint
(SimCLR on 40k unlabeled ultrasound frames) and kept frozen -- the labelled
set is tiny (780 images), so we only train the decoder and the cls head.
"""
import os
import random

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, Dataset
import torchvision.transforms.functional as TF

config = dict(
    csv="data/BUSI/split.csv",
    img_dir="data/BUSI/images",
    ssl_ckpt="pretrained/simclr_us_encoder.pt",
    size=256,
    batch_size=16,
    epochs=100,
    lr=5e-4,
    cls_weight=0.5,
)


class BUSI(Dataset):
    def __init__(self, df, train):
        self.df = df.reset_index(drop=True)
        self.train = train

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        img = Image.open(os.path.join(config["img_dir"], row.image)).convert("L")
        msk = Image.open(os.path.join(config["img_dir"], row.mask)).convert("L")
        img = TF.resize(img, [config["size"], config["size"]])
        msk = TF.resize(msk, [config["size"], config["size"]], interpolation=TF.InterpolationMode.NEAREST)
        if self.train and random.random() < 0.5:
            img, msk = TF.hflip(img), TF.hflip(msk)
        if self.train:
            img = TF.adjust_gamma(img, random.uniform(0.7, 1.5))
        x = TF.to_tensor(img)
        y = (TF.to_tensor(msk) > 0.5).float()
        return (x - 0.5) / 0.25, y, torch.tensor(float(row.malignant))


def down(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True),
    )


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([down(1, 64), down(64, 128), down(128, 256), down(256, 512)])

    def forward(self, x):
        feats = []
        for i, b in enumerate(self.blocks):
            x = b(x if i == 0 else F.max_pool2d(x, 2))
            feats.append(x)
        return feats


class MultiTaskNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.up3, self.dec3 = nn.ConvTranspose2d(512, 256, 2, 2), down(512, 256)
        self.up2, self.dec2 = nn.ConvTranspose2d(256, 128, 2, 2), down(256, 128)
        self.up1, self.dec1 = nn.ConvTranspose2d(128, 64, 2, 2), down(128, 64)
        self.seg = nn.Conv2d(64, 1, 1)
        self.cls = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(512, 128),  # expect: BN204
            nn.BatchNorm1d(128), nn.ReLU(True), nn.Dropout(0.3),
            nn.Linear(128, 1),
        )

    def forward(self, x):
        f1, f2, f3, f4 = self.encoder(x)
        y = self.dec3(torch.cat([self.up3(f4), f3], 1))
        y = self.dec2(torch.cat([self.up2(y), f2], 1))
        y = self.dec1(torch.cat([self.up1(y), f1], 1))
        return self.seg(y), self.cls(f4).squeeze(1)


def freeze_bn_and_weights(module):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    for p in module.parameters():
        p.requires_grad = False


def main():
    torch.manual_seed(7)
    df = pd.read_csv(config["csv"])
    train_dl = DataLoader(BUSI(df[df.fold != 0], True), batch_size=config["batch_size"], shuffle=True, num_workers=4)
    val_dl = DataLoader(BUSI(df[df.fold == 0], False), batch_size=config["batch_size"], num_workers=4)

    net = MultiTaskNet().cuda()
    net.encoder.load_state_dict(torch.load(config["ssl_ckpt"], map_location="cpu"))
    freeze_bn_and_weights(net.encoder)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=config["lr"], weight_decay=1e-4)

    best = 0
    for epoch in range(config["epochs"]):
        net.train()  # expect: BN105
        for x, y, lbl in train_dl:
            x, y, lbl = x.cuda(), y.cuda(), lbl.cuda()
            seg_logits, cls_logits = net(x)
            loss = F.binary_cross_entropy_with_logits(seg_logits, y) \
                + config["cls_weight"] * F.binary_cross_entropy_with_logits(cls_logits, lbl)
            opt.zero_grad()
            loss.backward()
            opt.step()

        net.eval()
        dsc, probs, labels = [], [], []
        with torch.no_grad():
            for x, y, lbl in val_dl:
                seg_logits, cls_logits = net(x.cuda())
                pred = (seg_logits.sigmoid() > 0.5).float().cpu()
                inter = (pred * y).sum((1, 2, 3))
                dsc += (2 * inter / (pred.sum((1, 2, 3)) + y.sum((1, 2, 3)) + 1e-6)).tolist()
                probs += cls_logits.sigmoid().cpu().tolist()
                labels += lbl.tolist()
        auc = roc_auc_score(labels, probs)
        score = np.mean(dsc) + auc
        print(f"[{epoch:03d}] Dice {np.mean(dsc):.4f}  AUC {auc:.4f}")
        if score > best:
            best = score
            torch.save(net.state_dict(), "busi_multitask_best.pt")


if __name__ == "__main__":
    main()
