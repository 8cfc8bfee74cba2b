#!/usr/bin/env python3
"""Nightly batch scoring of the churn model over the customer feature table.

Reads a parquet file, standardises features with the scaler fitted at
training time, scores in chunks and writes a parquet with churn scores.
"""
import argparse
import json
import logging

import numpy as np
import pandas as pd
import torch
import torch.nn as nn

log = logging.getLogger("churn_scoring")


class ChurnMLP(nn.Module):
    def __init__(self, n_features, hidden=(256, 128), dropout=0.2):
        super().__init__()
        layers, width = [], n_features
        for h in hidden:
            layers += [nn.Linear(width, h, bias=False), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        return self.out(self.body(x)).squeeze(1)


def load_model(path, device):
    bundle = torch.load(path, map_location="cpu")
    cfg = bundle["config"]
    model = ChurnMLP(cfg["n_features"], tuple(cfg["hidden"]), cfg.get("dropout", 0.2))
    model.load_state_dict(bundle["state_dict"])
    model.to(device)
    model.eval()
    return model, cfg


def standardise(df, scaler):
    cols = scaler["columns"]
    mean = np.asarray(scaler["mean"], dtype=np.float32)
    std = np.asarray(scaler["std"], dtype=np.float32)
    x = df[cols].to_numpy(dtype=np.float32, na_value=np.nan)
    x = np.where(np.isnan(x), mean, x)
    return (x - mean) / np.where(std > 0, std, 1.0)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--features", required=True, help="parquet with one row per customer")
    p.add_argument("--model", required=True)
    p.add_argument("--scaler", required=True, help="json written by the training job")
    p.add_argument("--output", required=True)
    p.add_argument("--chunk", type=int, default=8192)
    p.add_argument("--threshold", type=float, default=0.5)
    return p.parse_args()


def main():
    logging.basicConfig(level=logging.INFO)
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    df = pd.read_parquet(args.features)
    with open(args.scaler) as fh:
        scaler = json.load(fh)
    x_all = standardise(df, scaler)
    log.info("scoring %d customers with %d features", *x_all.shape)

    model, cfg = load_model(args.model, device)
    if cfg["n_features"] != x_all.shape[1]:
        raise SystemExit(f"model expects {cfg['n_features']} features, table has {x_all.shape[1]}")

    scores = np.empty(len(x_all), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(x_all), args.chunk):
            xb = torch.from_numpy(x_all[start:start + args.chunk]).to(device)
            scores[start:start + len(xb)] = torch.sigmoid(model(xb)).cpu().numpy()

    out = pd.DataFrame({
        "customer_id": df["customer_id"].to_numpy(),
        "churn_score": scores,
        "churn_flag": scores >= args.threshold,
        "model_version": cfg.get("version", "unknown"),
    })
    out.to_parquet(args.output, index=False)
    log.info("flagged %d / %d customers (threshold %.2f)",
             int(out["churn_flag"].sum()), len(out), args.threshold)


if __name__ == "__main__":
    main()
