"""加速度センサによる行動認識 (6 クラス) 。

(N, L, C) の窓を GRU に通し、時系列特徴を BatchNorm1d で正規化する。
BatchNorm1d は (N, C, L) を期待するので、必ず permute してから適用すること。
"""
from __future__ import annotations

import logging
from typing import Final

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

ログ = logging.getLogger("行動認識")

設定: Final = {
    "窓長": 128,
    "チャネル": 6,
    "隠れ": 128,        # 窓長と同じ値なので軸の取り違えに注意
    "クラス": 6,
    "batch_size": 32,
    "epochs": 40,
    "学習サンプル": 1025,
    "検証サンプル": 300,
}


class 行動モデル(nn.Module):
    def __init__(self, 入力: int, 隠れ: int, クラス: int) -> None:
        super().__init__()
        self.入力正規化 = nn.BatchNorm1d(入力)
        self.gru = nn.GRU(入力, 隠れ, num_layers=2, batch_first=True, dropout=0.2)
        self.時系列正規化 = nn.BatchNorm1d(隠れ)
        self.層正規化 = nn.LayerNorm(隠れ)
        self.分類 = nn.Linear(隠れ, クラス)

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # x: (N, L, C)
        x = self.入力正規化(x.permute(0, 2, 1)).permute(0, 2, 1)
        h, _ = self.gru(x)                                  # (N, L, H)
        h = self.時系列正規化(h.transpose(1, 2))             # (N, H, L)
        h = F.adaptive_avg_pool1d(h, 1).squeeze(-1)          # (N, H)
        return self.分類(self.層正規化(h))


def 合成データ(n: int, 窓長: int, ch: int, クラス: int, seed: int) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, クラス, (n,), generator=g)
    t = torch.linspace(0, 6.28, 窓長)
    x = torch.sin(t[None, :, None] * (1 + y[:, None, None])) + 0.3 * torch.randn(n, 窓長, ch, generator=g)
    return TensorDataset(x, y)


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    c = 設定
    学習 = TensorDataset(torch.randn(c["学習サンプル"], c["窓長"], c["チャネル"]), torch.randint(0, c["クラス"], (c["学習サンプル"],)))
    検証 = 合成データ(c["検証サンプル"], c["窓長"], c["チャネル"], c["クラス"], seed=1)
    # 1025 % 32 == 1 → 最後のバッチが 1 サンプルになるので drop_last=True
    学習読込 = DataLoader(学習, batch_size=c["batch_size"], shuffle=True, drop_last=True)
    検証読込 = DataLoader(検証, batch_size=c["batch_size"])

    model = 行動モデル(c["チャネル"], c["隠れ"], c["クラス"])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    for ep in range(c["epochs"]):
        model.train()
        for x, y in 学習読込:
            opt.zero_grad(); loss = F.cross_entropy(model(x), y); loss.backward(); opt.step()
        model.eval()
        with torch.no_grad():
            正解 = sum((model(x).argmax(1) == y).sum().item() for x, y in 検証読込)
        ログ.info("ep %02d loss %.4f val acc %.3f", ep, loss.item(), 正解 / len(検証))
    torch.save(model.state_dict(), "har_gru.pt")


if __name__ == "__main__":
    main()
