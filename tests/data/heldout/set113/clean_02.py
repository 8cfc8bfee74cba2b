"""音声コマンド / 画像の両方に使える汎用 CNN 分類器。

`--modality` によって 1 次元 (波形の対数メルスペクトル, Conv1d) と
2 次元 (画像, Conv2d) を match 文で切り替える。正規化層は
`getattr(nn, f"BatchNorm{次元}d")` で次元に合わせて生成する。
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from typing import Callable, Protocol

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

__all__ = ["構成", "汎用CNN", "層工場"]

ログ = logging.getLogger(__name__)
偏置 = False  # 直後に BN が来るので畳み込みにバイアスは不要


class 層工場(Protocol):
    def __call__(self, チャネル: int) -> nn.Module: ...


@dataclass
class 構成:
    モダリティ: str = "audio"
    入力チャネル: int = 40
    幅: list[int] = field(default_factory=lambda: [64, 128, 256])
    クラス数: int = 12
    バッチ: int = 64
    エポック: int = 30
    追加: dict[str, float] = field(default_factory=lambda: {"dropout": 0.2, "lr": 1e-3})


def 次元別(次元: int) -> tuple[type[nn.Module], 層工場, type[nn.Module]]:
    畳み込み = getattr(nn, f"Conv{次元}d")
    正規化: 層工場 = getattr(nn, f"BatchNorm{次元}d")
    プール = getattr(nn, f"AdaptiveAvgPool{次元}d")
    return 畳み込み, 正規化, プール


class 汎用CNN(nn.Module):
    def __init__(self, cfg: 構成) -> None:
        super().__init__()
        match cfg.モダリティ:
            case "audio":
                次元 = 1
            case "image":
                次元 = 2
            case other:
                raise ValueError(f"未対応のモダリティ: {other}")
        Conv, BN, Pool = 次元別(次元)
        層: list[nn.Module] = []
        前 = cfg.入力チャネル
        for w in cfg.幅:
            層 += [Conv(前, w, 3, padding=1, bias=偏置), BN(w), nn.ReLU(inplace=True)]
            前 = w
        self.特徴 = nn.Sequential(*層, Pool(1), nn.Flatten())
        self.頭 = nn.Sequential(
            nn.Linear(前, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.追加["dropout"]),
            nn.Linear(128, cfg.クラス数),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.頭(self.特徴(x))


class 音声コマンド(Dataset):
    """(40, 101) の対数メルスペクトルを事前計算した .pt を読む。"""

    def __init__(self, パス: str) -> None:
        d = torch.load(パス)
        self.x, self.y = d["features"], d["labels"]

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.x[i], self.y[i]


@torch.no_grad()
def 評価(model: nn.Module, loader: DataLoader, 機器: str) -> float:
    model.eval()
    正解 = 総数 = 0
    for x, y in loader:
        正解 += (model(x.to(機器)).argmax(-1).cpu() == y).sum().item(); 総数 += len(y)
    return 正解 / max(総数, 1)


def 学習(cfg: 構成, 学習集合: Dataset, 検証集合: Dataset, 機器: str = "cpu") -> nn.Module:
    model = 汎用CNN(cfg).to(機器)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.追加["lr"])
    学習読込 = DataLoader(学習集合, batch_size=cfg.バッチ, shuffle=True, drop_last=True)
    検証読込 = DataLoader(検証集合, batch_size=256)
    for ep in range(cfg.エポック):
        model.train()
        for x, y in 学習読込:
            loss = F.cross_entropy(model(x.to(機器)), y.to(機器))
            opt.zero_grad(); loss.backward(); opt.step()
        ログ.info("ep %02d loss %.3f acc %.3f", ep, loss.item(), 評価(model, 検証読込, 機器))
    return model


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--modality", default="audio", choices=["audio", "image"])
    ap.add_argument("--train", default="speech_train.pt")
    ap.add_argument("--val", default="speech_val.pt")
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO)
    cfg = 構成(モダリティ=a.modality, 入力チャネル=40 if a.modality == "audio" else 3)
    機器 = "cuda" if torch.cuda.is_available() else "cpu"
    model = 学習(cfg, 音声コマンド(a.train), 音声コマンド(a.val), 機器)
    torch.save(model.state_dict(), f"cnn_{a.modality}.pt")
