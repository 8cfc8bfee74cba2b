#!/usr/bin/env python
# coding: utf-8
# Plant Pathology 2021 -- 5-fold convnet fine-tuning, OOF scoring and 4x TTA submission.

import os, gc, random
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import timm
from PIL import Image
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold
from torch.utils.data import Dataset, DataLoader
import torchvision.transforms as T


class CFG:
    root = "../input/plant-pathology-2021-fgvc8"
    arch = "resnet50d"
    size = 384
    folds = 5
    epochs = 12
    bs = 32
    lr = 3e-4
    labels = ["complex", "frog_eye_leaf_spot", "healthy", "powdery_mildew", "rust", "scab"]
    seed = 42
    workers = 4


def seed_all(s):
    random.seed(s); np.random.seed(s); torch.manual_seed(s); torch.cuda.manual_seed_all(s)


def encode(df):
    for lab in CFG.labels:
        df[lab] = df["labels"].str.split().apply(lambda ls: int(lab in ls))
    return df


class LeafDS(Dataset):
    def __init__(self, df, folder, tfm, with_y=True):
        self.files = df["image"].tolist()
        self.y = df[CFG.labels].values.astype(np.float32) if with_y else None
        self.folder, self.tfm = folder, tfm

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        img = self.tfm(Image.open(os.path.join(self.folder, self.files[i])).convert("RGB"))
        return (img, self.y[i]) if self.y is not None else img


norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
train_tfm = T.Compose([T.RandomResizedCrop(CFG.size, (0.6, 1)), T.RandomHorizontalFlip(), T.RandomVerticalFlip(),
                       T.ColorJitter(0.2, 0.2, 0.2), T.ToTensor(), norm])
test_tfm = T.Compose([T.Resize((CFG.size, CFG.size)), T.ToTensor(), norm])


class Net(nn.Module):
    def __init__(self, pretrained=True):
        super().__init__()
        self.body = timm.create_model(CFG.arch, pretrained=pretrained, num_classes=0)
        nf = self.body.num_features
        self.head = nn.Sequential(
            nn.Linear(nf, 512, bias=False),
            nn.BatchNorm1d(512, eps=1e-3, momentum=0.01),
            nn.ReLU(inplace=True),
            nn.Dropout(0.25),
            nn.Linear(512, len(CFG.labels)),
        )

    def forward(self, x):
        return self.head(self.body(x))


def train_epoch(model, dl, opt, sched, crit, dev):
    model.train()
    tot = 0.0
    for x, y in dl:
        x, y = x.to(dev), y.to(dev)
        loss = crit(model(x), y)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        tot += loss.item()
    return tot / len(dl)


@torch.no_grad()
def predict(model, dl, dev, tta=False):
    model.eval()
    out = []
    for batch in dl:
        x = (batch[0] if isinstance(batch, (list, tuple)) else batch).to(dev)
        p = model(x).sigmoid()
        if tta:
            p = p + model(x.flip(3)).sigmoid() + model(x.flip(2)).sigmoid() + model(x.flip(2, 3)).sigmoid()
            p = p / 4
        out.append(p.cpu().numpy())
    return np.concatenate(out)


def run(df, dev):
    oof = np.zeros((len(df), len(CFG.labels)), dtype=np.float32)
    kf = KFold(CFG.folds, shuffle=True, random_state=CFG.seed)
    for fold, (tr, va) in enumerate(kf.split(df)):
        tr_dl = DataLoader(LeafDS(df.iloc[tr], f"{CFG.root}/train_images", train_tfm), batch_size=CFG.bs,
                           shuffle=True, num_workers=CFG.workers, drop_last=True)
        va_dl = DataLoader(LeafDS(df.iloc[va], f"{CFG.root}/train_images", test_tfm), batch_size=CFG.bs * 2,
                           num_workers=CFG.workers)
        model = Net().to(dev)
        opt = torch.optim.AdamW(model.parameters(), lr=CFG.lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, CFG.lr, total_steps=CFG.epochs * len(tr_dl))
        crit = nn.BCEWithLogitsLoss()
        best = -1
        for ep in range(CFG.epochs):
            loss = train_epoch(model, tr_dl, opt, sched, crit, dev)
            pv = predict(model, va_dl, dev)
            f1 = f1_score(df.iloc[va][CFG.labels].values, pv > 0.4, average="samples")
            print(f"fold {fold} ep {ep} loss {loss:.4f} f1 {f1:.4f}")
            if f1 > best:
                best, oof[va] = f1, pv
                torch.save(model.state_dict(), f"fold{fold}.pt")
        del model, opt; gc.collect(); torch.cuda.empty_cache()
    return oof


def submit(dev):
    test = pd.DataFrame({"image": sorted(os.listdir(f"{CFG.root}/test_images"))})
    dl = DataLoader(LeafDS(test, f"{CFG.root}/test_images", test_tfm, with_y=False), batch_size=CFG.bs,
                    num_workers=CFG.workers)
    probs = 0
    for fold in range(CFG.folds):
        m = Net(pretrained=False).to(dev)
        m.load_state_dict(torch.load(f"fold{fold}.pt", map_location=dev))
        probs = probs + predict(m, dl, dev, tta=True) / CFG.folds
    test["labels"] = [" ".join(l for l, v in zip(CFG.labels, row) if v > 0.4) or "healthy" for row in probs]
    test.to_csv("submission.csv", index=False)


if __name__ == "__main__":
    seed_all(CFG.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    df = encode(pd.read_csv(f"{CFG.root}/train.csv"))
    oof = run(df, device)
    print("OOF F1:", f1_score(df[CFG.labels].values, oof > 0.4, average="samples"))
    submit(device)
