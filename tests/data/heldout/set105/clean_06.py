# ResNeXt-50 5-fold fine-tuning for the SIIM melanoma (binary) task + test inference.
import gc
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from PIL import Image
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold
from torch.utils.data import DataLoader, Dataset
from torchvision import models
from torchvision import transforms as T

ROOT = "../input/siim-isic-melanoma-512"
SEED = 2020
FOLDS = 5
EPOCHS = 6
BS = 48
LR = 3e-4
HIDDEN = 256
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
train_tfms = T.Compose([T.RandomResizedCrop(384, scale=(0.7, 1.0)), T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.ColorJitter(0.15, 0.15), T.ToTensor(), T.Normalize(MEAN, STD)])
test_tfms = T.Compose([T.Resize(384), T.CenterCrop(384), T.ToTensor(), T.Normalize(MEAN, STD)])


class SkinDS(Dataset):
    def __init__(self, df, img_dir, tfms, with_target=True):
        self.paths = [os.path.join(img_dir, f"{n}.jpg") for n in df.image_name]
        self.targets = df.target.values.astype(np.float32) if with_target else np.zeros(len(df), np.float32)
        self.tfms = tfms

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.tfms(Image.open(self.paths[i]).convert("RGB")), self.targets[i]


def make_model():
    model = models.resnext50_32x4d(weights=models.ResNeXt50_32X4D_Weights.IMAGENET1K_V2)
    num_ftrs = model.fc.in_features
    model.fc = nn.Sequential(
        nn.Linear(num_ftrs, HIDDEN, bias=False),
        nn.BatchNorm1d(HIDDEN),
        nn.ReLU(inplace=True),
        nn.Dropout(0.3),
        nn.Linear(HIDDEN, 1),
    )
    return model


def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    running = 0.0
    for x, y in loader:
        x, y = x.to(DEVICE), y.to(DEVICE)
        optimizer.zero_grad()
        loss = criterion(model(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        running += loss.item()
    return running / len(loader)


@torch.no_grad()
def validate(model, loader):
    model.eval()
    probs, ys = [], []
    for x, y in loader:
        probs.append(torch.sigmoid(model(x.to(DEVICE)).squeeze(1)).cpu().numpy())
        ys.append(y.numpy())
    probs, ys = np.concatenate(probs), np.concatenate(ys)
    return roc_auc_score(ys, probs), probs


@torch.no_grad()
def predict(model, loader):
    model.eval()
    out = []
    for x, _ in loader:
        x = x.to(DEVICE)
        p = torch.sigmoid(model(x)) + torch.sigmoid(model(torch.flip(x, dims=[2])))
        out.append((p / 2).squeeze(1).cpu().numpy())
    return np.concatenate(out)


def main():
    torch.manual_seed(SEED)
    df = pd.read_csv(os.path.join(ROOT, "train.csv"))
    test_df = pd.read_csv(os.path.join(ROOT, "test.csv"))
    test_loader = DataLoader(SkinDS(test_df, os.path.join(ROOT, "test"), test_tfms, with_target=False), batch_size=BS * 2, num_workers=4)

    oof = np.zeros(len(df))
    test_pred = np.zeros(len(test_df))
    sgkf = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for fold, (tr, va) in enumerate(sgkf.split(df, df.target, groups=df.patient_id)):
        train_loader = DataLoader(SkinDS(df.iloc[tr], os.path.join(ROOT, "train"), train_tfms), batch_size=BS, shuffle=True, num_workers=4, drop_last=True)
        valid_loader = DataLoader(SkinDS(df.iloc[va], os.path.join(ROOT, "train"), test_tfms), batch_size=BS * 2, num_workers=4)

        model = make_model().to(DEVICE)
        optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-2)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=EPOCHS)
        criterion = nn.BCEWithLogitsLoss()

        best_auc = 0.0
        ckpt = f"rx50_fold{fold}.pth"
        for epoch in range(EPOCHS):
            loss = train_one_epoch(model, train_loader, optimizer, criterion)
            scheduler.step()
            auc, probs = validate(model, valid_loader)
            print(f"fold {fold} ep {epoch} loss {loss:.4f} auc {auc:.4f}")
            if auc > best_auc:
                best_auc = auc
                oof[va] = probs
                torch.save(model.state_dict(), ckpt)

        model.load_state_dict(torch.load(ckpt, map_location=DEVICE))
        test_pred += predict(model, test_loader) / FOLDS
        del model, optimizer
        gc.collect()
        torch.cuda.empty_cache()

    print("OOF AUC:", roc_auc_score(df.target, oof))
    test_df["target"] = test_pred
    test_df[["image_name", "target"]].to_csv("submission.csv", index=False)


if __name__ == "__main__":
    main()
