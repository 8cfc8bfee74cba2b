import os

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader

from config import CFG
from dataset import SeedlingDataset, get_transforms
from engine import train_fn, valid_fn
from models import get_model
from utils import get_logger, seed_everything

LOGGER = get_logger(os.path.join(CFG.output_dir, "train"))


def build_folds():
    rows = []
    for label, cls in enumerate(sorted(os.listdir(os.path.join(CFG.data_dir, "train")))):
        for f in os.listdir(os.path.join(CFG.data_dir, "train", cls)):
            rows.append({"file_path": os.path.join(CFG.data_dir, "train", cls, f), "label": label})
    df = pd.DataFrame(rows)
    df["fold"] = -1
    skf = StratifiedKFold(n_splits=CFG.n_folds, shuffle=True, random_state=CFG.seed)
    for fold, (_, val_idx) in enumerate(skf.split(df, df.label)):
        df.loc[val_idx, "fold"] = fold
    return df


def train_loop(folds, fold):
    LOGGER.info(f"========== fold: {fold} training ==========")
    trn = folds[folds.fold != fold].reset_index(drop=True)
    val = folds[folds.fold == fold].reset_index(drop=True)
    train_loader = DataLoader(SeedlingDataset(trn, get_transforms("train")), batch_size=CFG.batch_size, shuffle=True, num_workers=CFG.num_workers, drop_last=True)
    valid_loader = DataLoader(SeedlingDataset(val, get_transforms("valid")), batch_size=CFG.batch_size * 2, shuffle=False, num_workers=CFG.num_workers)

    model = get_model(CFG).to(CFG.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=CFG.lr, weight_decay=CFG.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=CFG.lr, epochs=CFG.epochs, steps_per_epoch=len(train_loader))

    best_score = -np.inf
    oof = None
    for epoch in range(CFG.epochs):
        avg_loss = train_fn(model, train_loader, optimizer, scheduler, CFG.device)
        val_loss, preds = valid_fn(model, valid_loader, CFG.device)
        score = f1_score(val.label.values, preds.argmax(1), average="micro")
        LOGGER.info(f"Epoch {epoch + 1} - avg_train_loss: {avg_loss:.4f} avg_val_loss: {val_loss:.4f} F1: {score:.4f}")
        if score > best_score:
            best_score = score
            oof = preds
            torch.save({"model": model.state_dict(), "preds": preds}, os.path.join(CFG.output_dir, f"{CFG.model_name}_fold{fold}_best.pth"))
    val[[f"pred_{c}" for c in range(CFG.num_classes)]] = oof
    return val


if __name__ == "__main__":
    seed_everything(CFG.seed)
    os.makedirs(CFG.output_dir, exist_ok=True)
    folds = build_folds()
    oof_df = pd.concat([train_loop(folds, fold) for fold in range(CFG.n_folds) if fold in CFG.trn_folds])
    oof_df.to_csv(os.path.join(CFG.output_dir, "oof_df.csv"), index=False)
