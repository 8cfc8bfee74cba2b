"""Ventilator Pressure Prediction -- CNN + BiGRU, k-fold training and fold-averaged submission.

    python run.py train
    python run.py predict
"""
import os
import sys

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import GroupKFold
from torch.utils.data import DataLoader

from config import TrainConfig
from src.dataset import BreathDataset, add_features
from src.engine import evaluate, predict, train_one_epoch
from src.model import VentNet
from src.utils import Timer, seed_everything

cfg = TrainConfig()
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def train():
    seed_everything(cfg.seed)
    os.makedirs(cfg.out_dir, exist_ok=True)
    df = add_features(pd.read_csv(os.path.join(cfg.data_dir, "train.csv")))
    breath_ids = df.breath_id.unique()
    gkf = GroupKFold(n_splits=cfg.n_folds)
    for fold, (trn_b, val_b) in enumerate(gkf.split(breath_ids, groups=breath_ids)):
        if fold not in cfg.folds_to_run:
            continue
        trn_df = df[df.breath_id.isin(breath_ids[trn_b])]
        val_df = df[df.breath_id.isin(breath_ids[val_b])]
        train_loader = DataLoader(BreathDataset(trn_df, cfg.seq_len), batch_size=cfg.batch_size, shuffle=True, num_workers=4, drop_last=True)
        valid_loader = DataLoader(BreathDataset(val_df, cfg.seq_len), batch_size=cfg.batch_size, shuffle=False, num_workers=4)

        model = VentNet(cfg).to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-5)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
        best = np.inf
        for epoch in range(cfg.epochs):
            with Timer() as t:
                trn_loss = train_one_epoch(model, train_loader, optimizer, scheduler, device)
                val_mae, _ = evaluate(model, valid_loader, device)
            print(f"fold {fold} ep {epoch:03d} train {trn_loss:.4f} val MAE {val_mae:.4f} ({t.elapsed:.0f}s)")
            if val_mae < best:
                best = val_mae
                torch.save(model.state_dict(), os.path.join(cfg.out_dir, f"ventnet_fold{fold}.pt"))


def make_submission():
    test = add_features(pd.read_csv(os.path.join(cfg.data_dir, "test.csv")))
    test["pressure"] = 0.0
    loader = DataLoader(BreathDataset(test, cfg.seq_len, with_target=False), batch_size=cfg.batch_size, shuffle=False)
    fold_preds = []
    for fold in cfg.folds_to_run:
        model = VentNet(cfg).to(device)
        model.load_state_dict(torch.load(os.path.join(cfg.out_dir, f"ventnet_fold{fold}.pt"), map_location=device))
        fold_preds.append(predict(model, loader, device).reshape(-1))
    sub = pd.read_csv(os.path.join(cfg.data_dir, "sample_submission.csv"))
    sub["pressure"] = np.median(np.stack(fold_preds), axis=0)
    sub.to_csv("submission.csv", index=False)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "predict":
        make_submission()
    else:
        train()
