"""電力需要の時系列予測 (LSTM) 。

CSV (timestamp, load, temp, humidity, ...) から長さ 64 の窓を切り出して
次の 1 ステップの負荷を予測する。
"""
from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

設定 = {
    "窓長": 64,
    "隠れ次元": 64,
    "層数": 2,
    "batch_size": 4,     # 長い系列なのでメモリ節約
    "epochs": 30,
    "lr": 5e-4,
}

ログ = logging.getLogger("需要予測")


class 窓データ(Dataset):
    def __init__(self, 値: np.ndarray, 窓長: int) -> None:
        self.値 = torch.as_tensor(値, dtype=torch.float32)
        self.窓長 = 窓長

    def __len__(self) -> int:
        return len(self.値) - self.窓長

    def __getitem__(self, i: int):
        窓 = self.値[i : i + self.窓長]
        return 窓, self.値[i + self.窓長, 0]


class 時系列モデル(nn.Module):
    def __init__(self, 入力次元: int, 隠れ: int = 64, 層数: int = 2) -> None:
        super().__init__()
        self.lstm = nn.LSTM(入力次元, 隠れ, 層数, batch_first=True, dropout=0.1)
        self.bn = nn.BatchNorm1d(隠れ)
        self.出力 = nn.Linear(隠れ, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(x)        # (N, L, H)
        h = self.bn(h)  # expect: BN203
        return self.出力(h[:, -1]).squeeze(-1)


def 読み込み(パス: str) -> tuple[np.ndarray, np.ndarray]:
    df = pd.read_csv(パス, parse_dates=["timestamp"]).sort_values("timestamp")
    値 = df.drop(columns=["timestamp"]).to_numpy(np.float32)
    値 = (値 - 値.mean(0)) / (値.std(0) + 1e-6)
    境界 = int(len(値) * 0.8)
    return 値[:境界], 値[境界:]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    学習値, 検証値 = 読み込み(args.csv)
    学習データ = 窓データ(学習値, 設定["窓長"])
    検証データ = 窓データ(検証値, 設定["窓長"])
    学習読込 = DataLoader(学習データ, batch_size=設定["batch_size"], shuffle=True)  # expect: BN301
    検証読込 = DataLoader(検証データ, batch_size=256)

    model = 時系列モデル(学習値.shape[1], 設定["隠れ次元"], 設定["層数"])
    opt = torch.optim.Adam(model.parameters(), lr=設定["lr"])
    損失関数 = nn.SmoothL1Loss()

    for epoch in range(設定["epochs"]):
        model.train()
        for x, y in 学習読込:
            opt.zero_grad()
            loss = 損失関数(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        model.eval()
        with torch.no_grad():
            誤差 = torch.cat([(model(x) - y).abs() for x, y in 検証読込]).mean().item()
        ログ.info("epoch %02d  train %.4f  val MAE %.4f", epoch, loss.item(), 誤差)

    torch.save(model.state_dict(), "load_lstm.pt")


if __name__ == "__main__":
    main()
