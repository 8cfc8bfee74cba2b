"""K-fold fine-tuning (frozen-BN ResNet-101) for the herbarium subset.

    python train.py --folds 5 --epochs 10
"""
import argparse
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from PIL import Image
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from engine import train_one_epoch, validate
from models.net import build_net

CFG = {
    "root": "data/herbarium_small",
    "img_size": 384,
    "batch_size": 16,
    "lr_trunk": 1e-4,
    "lr_head": 1e-3,
}


class Herbarium(Dataset):
    def __init__(self, df, root, tf):
        self.df, self.root, self.tf = df.reset_index(drop=True), root, tf

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        r = self.df.iloc[i]
        return self.tf(Image.open(os.path.join(self.root, "images", r.file)).convert("RGB")), int(r.label)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    df = pd.read_csv(os.path.join(CFG["root"], "labels.csv"))
    n_classes = df.label.nunique()
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    tf_train = transforms.Compose([transforms.RandomResizedCrop(CFG["img_size"], scale=(0.6, 1.0)), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
    tf_val = transforms.Compose([transforms.Resize((CFG["img_size"], CFG["img_size"])), transforms.ToTensor(), norm])

    oof = np.zeros(len(df), dtype=int)
    skf = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=0)
    for fold, (tr, va) in enumerate(skf.split(df, df.label)):
        train_dl = DataLoader(Herbarium(df.iloc[tr], CFG["root"], tf_train), batch_size=CFG["batch_size"], shuffle=True, num_workers=6, drop_last=True)
        val_dl = DataLoader(Herbarium(df.iloc[va], CFG["root"], tf_val), batch_size=CFG["batch_size"] * 2, num_workers=6)

        model = build_net(n_classes).to(device)
        optimizer = torch.optim.AdamW([
            {"params": [p for p in model.trunk.parameters() if p.requires_grad], "lr": CFG["lr_trunk"]},
            {"params": model.head.parameters(), "lr": CFG["lr_head"]},
        ], weight_decay=1e-4)
        scaler = torch.cuda.amp.GradScaler() if device.type == "cuda" else None
        criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

        best = -1.0
        for epoch in range(args.epochs):
            loss = train_one_epoch(model, train_dl, criterion, optimizer, device, scaler)
            f1, preds = validate(model, val_dl, device)
            print(f"fold {fold} epoch {epoch}: loss {loss:.4f} macro-F1 {f1:.4f}")
            if f1 > best:
                best = f1
                oof[va] = preds
                torch.save(model.state_dict(), f"herb_r101_fold{fold}.pth")
    print("OOF accuracy:", (oof == df.label.values).mean())


if __name__ == "__main__":
    main()
