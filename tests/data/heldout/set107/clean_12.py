"""Generate the evaluation section of the model card for the tabular credit-risk model.

Reports AUROC, Brier score and subgroup metrics, one row per test example so
the fairness dashboard can recompute slices.
"""
import argparse
import json
import os
from dataclasses import asdict, dataclass

import pandas as pd
import torch
import torch.nn as nn
from sklearn.metrics import brier_score_loss, roc_auc_score
from torch.utils.data import DataLoader, Dataset


@dataclass
class ModelConfig:
    n_features: int = 57
    hidden: int = 256
    dropout: float = 0.1
    bn_eps: float = 1e-3
    bn_momentum: float = 0.01


class CreditRiskMLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.input_bn = nn.BatchNorm1d(cfg.n_features, affine=False)
        self.fc1 = nn.Linear(cfg.n_features, cfg.hidden, bias=False)
        self.bn1 = nn.BatchNorm1d(cfg.hidden, 1e-3)
        self.fc2 = nn.Linear(cfg.hidden, cfg.hidden // 2, bias=False)
        self.bn2 = nn.BatchNorm1d(cfg.hidden // 2, eps=cfg.bn_eps, momentum=cfg.bn_momentum)
        self.drop = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.hidden // 2, 1)

    def forward(self, x):
        x = self.input_bn(x)
        x = self.drop(torch.relu(self.bn1(self.fc1(x))))
        x = self.drop(torch.relu(self.bn2(self.fc2(x))))
        return self.out(x).squeeze(-1)


class ApplicantDataset(Dataset):
    def __init__(self, frame, feature_cols, label_col="default_12m"):
        self.x = torch.tensor(frame[feature_cols].values, dtype=torch.float32)
        self.y = torch.tensor(frame[label_col].values, dtype=torch.float32)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    scores, labels = [], []
    for x, y in loader:
        scores.append(torch.sigmoid(model(x)))
        labels.append(y)
    return torch.cat(scores).numpy(), torch.cat(labels).numpy()


def subgroup_table(frame, scores, group_col):
    frame = frame.assign(score=scores)
    rows = []
    for group, part in frame.groupby(group_col):
        if part["default_12m"].nunique() < 2:
            continue
        rows.append({"group": str(group), "n": len(part), "auroc": roc_auc_score(part["default_12m"], part["score"])})
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--test-csv", default="data/credit_test.csv")
    parser.add_argument("--ckpt", default="artifacts/credit_mlp.pt")
    parser.add_argument("--out-dir", default="model_card")
    args = parser.parse_args()

    payload = torch.load(args.ckpt, map_location="cpu")
    cfg = ModelConfig(**payload["config"])
    model = CreditRiskMLP(cfg)
    model.load_state_dict(payload["state_dict"])

    frame = pd.read_csv(args.test_csv)
    # one example per batch so per-row scores line up with the CSV order exactly
    loader = DataLoader(ApplicantDataset(frame, payload["feature_cols"]), batch_size=1, shuffle=False)
    scores, labels = evaluate(model, loader)

    card = {
        "config": asdict(cfg),
        "auroc": float(roc_auc_score(labels, scores)),
        "brier": float(brier_score_loss(labels, scores)),
        "by_age_band": subgroup_table(frame, scores, "age_band"),
        "by_region": subgroup_table(frame, scores, "region"),
    }
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "evaluation.json"), "w") as f:
        json.dump(card, f, indent=2)
    frame.assign(score=scores).to_csv(os.path.join(args.out_dir, "scores.csv"), index=False)
    print(f"AUROC {card['auroc']:.4f}  Brier {card['brier']:.4f}")


if __name__ == "__main__":
    main()
