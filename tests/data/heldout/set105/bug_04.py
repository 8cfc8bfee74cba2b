# 5-fold fine-tuning of DenseNet-121 on the APTOS blindness-detection images.
import os
import random
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from PIL import Image
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader, Dataset
import torchvision
import torchvision.transforms as T


@dataclass
class CFG:
    root: str = "../input/aptos2019-blindness-detection"
    n_folds: int = 5
    epochs: int = 8
    batch_size: int = 32
    lr: float = 1e-4
    img_size: int = 320
    n_classes: int = 5
    seed: int = 42
    num_workers: int = 4


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


class RetinaDataset(Dataset):
    def __init__(self, df, root, transform):
        self.df = df.reset_index(drop=True)
        self.root = root
        self.transform = transform

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        img = Image.open(os.path.join(self.root, "train_images", row.id_code + ".png")).convert("RGB")
        return self.transform(img), int(row.diagnosis)


def get_model(cfg):
    model = torchvision.models.densenet121(weights=torchvision.models.DenseNet121_Weights.IMAGENET1K_V1)
    model.classifier = nn.Sequential(
        nn.Linear(1024, 256, bias=False),
        nn.BatchNorm1d(128),  # expect: BN201
        nn.ReLU(inplace=True),
        nn.Dropout(0.25),
        nn.Linear(256, cfg.n_classes),
    )
    return model


def train_one_epoch(model, loader, criterion, optimizer, device):
    losses = []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses))


def validate(model, loader, device):
    model.eval()
    preds, gts = [], []
    with torch.no_grad():
        for x, y in loader:
            out = model(x.to(device))
            preds.append(out.argmax(1).cpu().numpy())
            gts.append(y.numpy())
    preds, gts = np.concatenate(preds), np.concatenate(gts)
    return cohen_kappa_score(gts, preds, weights="quadratic"), preds


def run_fold(fold, train_df, valid_df, cfg, device):
    train_tf = T.Compose([T.RandomResizedCrop(cfg.img_size, scale=(0.8, 1.0)), T.RandomHorizontalFlip(), T.RandomRotation(20), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    valid_tf = T.Compose([T.Resize((cfg.img_size, cfg.img_size)), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    train_loader = DataLoader(RetinaDataset(train_df, cfg.root, train_tf), batch_size=cfg.batch_size, shuffle=True, num_workers=cfg.num_workers, drop_last=True)
    valid_loader = DataLoader(RetinaDataset(valid_df, cfg.root, valid_tf), batch_size=cfg.batch_size, shuffle=False, num_workers=cfg.num_workers)

    model = get_model(cfg).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr * 10, total_steps=cfg.epochs * len(train_loader))

    best_kappa, best_preds = -1.0, None
    model.train()
    for epoch in range(cfg.epochs):
        train_loss = train_one_epoch(model, train_loader, criterion, optimizer, device)
        scheduler.step()
        kappa, preds = validate(model, valid_loader, device)  # expect: BN103
        print(f"fold {fold} epoch {epoch}: train_loss={train_loss:.4f} qwk={kappa:.4f}")
        if kappa > best_kappa:
            best_kappa, best_preds = kappa, preds
            torch.save(model.state_dict(), f"densenet121_fold{fold}.pth")
    return best_kappa, best_preds


def main():
    cfg = CFG()
    seed_everything(cfg.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    df = pd.read_csv(os.path.join(cfg.root, "train.csv"))
    oof = np.zeros(len(df), dtype=int)

    skf = StratifiedKFold(n_splits=cfg.n_folds, shuffle=True, random_state=cfg.seed)
    scores = []
    for fold, (tr_idx, va_idx) in enumerate(skf.split(df, df.diagnosis)):
        kappa, preds = run_fold(fold, df.iloc[tr_idx], df.iloc[va_idx], cfg, device)
        oof[va_idx] = preds
        scores.append(kappa)

    print("CV qwk per fold:", [round(s, 4) for s in scores])
    print("OOF qwk:", cohen_kappa_score(df.diagnosis.values, oof, weights="quadratic"))


if __name__ == "__main__":
    main()
