"""Fashion-MNIST 画像分類ベンチマーク用のモデル定義と学習ループ。

設定は dataclass で管理し、アーキテクチャは match 文で切り替える。
    python bug_02.py --arch large --epochs 10
"""
from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

__all__ = ["学習設定", "モデル構築", "main"]

logger = logging.getLogger(__name__)

幅: int = 128  # large 構成の最終段チャネル数


@dataclass
class 学習設定:
    アーキ: str = "small"
    チャネル: list[int] = field(default_factory=lambda: [32, 64])
    エポック数: int = 20
    バッチサイズ: int = 64
    学習率: float = 3e-4
    重み減衰: float = 1e-4
    データ: Path = field(default_factory=lambda: Path("./data"))
    出力: Path = field(default_factory=lambda: Path("./runs/exp1"))
    タグ: dict[str, str] = field(default_factory=dict)


def モデル構築(設定: 学習設定, クラス数: int = 10) -> nn.Module:
    c1, c2 = 設定.チャネル
    match 設定.アーキ:
        case "small":
            本体 = nn.Sequential(
                nn.Conv2d(1, c1, 3, padding=1, bias=False),
                nn.BatchNorm2d(c1),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(c1, c2, 3, padding=1, bias=False),
                nn.BatchNorm2d(c2, 0.9),  # expect: BN206
                nn.ReLU(),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
                nn.Linear(c2, クラス数),
            )
        case "large":
            本体 = nn.Sequential(
                nn.Conv2d(1, 64, 3, padding=1, bias=False),
                nn.BatchNorm2d(64),
                nn.ReLU(),
                nn.Conv2d(64, 幅, 3, padding=1, bias=False),
                nn.BatchNorm2d(64),  # expect: BN201
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Dropout2d(0.1),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
                nn.Linear(幅, クラス数),
            )
        case _:
            raise ValueError(f"未知のアーキテクチャ: {設定.アーキ}")
    return 本体


def データ準備(設定: 学習設定) -> tuple[DataLoader, DataLoader]:
    変換 = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))])
    学習 = datasets.FashionMNIST(設定.データ, train=True, download=True, transform=変換)
    検証 = datasets.FashionMNIST(設定.データ, train=False, download=True, transform=変換)
    return (
        DataLoader(学習, batch_size=設定.バッチサイズ, shuffle=True, num_workers=2),
        DataLoader(検証, batch_size=512, shuffle=False, num_workers=2),
    )


def 評価(モデル: nn.Module, 読込: DataLoader, 機器: torch.device) -> float:
    モデル.eval()
    正解 = 総数 = 0
    with torch.no_grad():
        for x, y in 読込:
            予測 = モデル(x.to(機器)).argmax(1).cpu()
            正解 += int((予測 == y).sum()); 総数 += y.numel()
    return 正解 / 総数


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="small", choices=["small", "large"])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=3e-4)
    a = ap.parse_args()
    設定 = 学習設定(アーキ=a.arch, エポック数=a.epochs, 学習率=a.lr)
    設定.出力.mkdir(parents=True, exist_ok=True)
    (設定.出力 / "config.json").write_text(json.dumps(asdict(設定), default=str, ensure_ascii=False, indent=2))

    機器 = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    モデル = モデル構築(設定).to(機器)
    最適化 = torch.optim.AdamW(モデル.parameters(), lr=設定.学習率, weight_decay=設定.重み減衰)
    損失関数 = nn.CrossEntropyLoss(label_smoothing=0.1)
    学習読込, 検証読込 = データ準備(設定)

    for エポック in range(設定.エポック数):
        モデル.train()
        for x, y in 学習読込:
            x, y = x.to(機器), y.to(機器)
            最適化.zero_grad()
            損失 = 損失関数(モデル(x), y)
            損失.backward()
            最適化.step()
        精度 = 評価(モデル, 検証読込, 機器)
        logger.info("epoch=%d loss=%.4f acc=%.4f", エポック, 損失.item(), 精度)
    torch.save(モデル.state_dict(), 設定.出力 / "model.pt")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
