# 住宅価格の回帰 (表形式データ) —— Keras ノートブックを PyTorch に書き直したもの
# 特徴量は前処理済み (標準化済み) の乱数データで代用している
import math
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

設定 = {
    "特徴数": 20,
    "サンプル数": 3073,
    "batch_size": 32,
    "epochs": 50,
    "lr": 1e-3,
    "監視間隔": 50,
    "seed": 42,
}


def 乱数固定(seed: int) -> None:
    random.seed(seed); np.random.seed(seed); torch.manual_seed(seed)


class 回帰MLP(nn.Module):
    def __init__(self, 入力: int, 隠れ: tuple = (128, 64)):
        super().__init__()
        h1, h2 = 隠れ
        self.fc1 = nn.Linear(入力, h1, bias=False)
        self.bn1 = nn.BatchNorm1d(h1, momentum=0.99, eps=1e-3)  # expect: BN205
        self.fc2 = nn.Linear(h1, h2, bias=False)
        self.bn2 = nn.BatchNorm1d(h2, momentum=0.01, eps=1e-3)
        self.out = nn.Linear(h2, 1)

    def forward(self, x):
        x = F.gelu(self.bn1(self.fc1(x)))
        x = F.gelu(self.bn2(self.fc2(x)))
        return self.out(x).squeeze(-1)


def main():
    乱数固定(設定["seed"])
    n, d = 設定["サンプル数"], 設定["特徴数"]
    真の重み = torch.randn(d)
    X = torch.randn(n, d)
    y = X @ 真の重み + 0.1 * torch.randn(n)
    学習データ = TensorDataset(X, y)
    学習読込 = DataLoader(学習データ, batch_size=設定["batch_size"], shuffle=True)  # expect: BN302

    監視x = torch.randn(256, d)
    監視y = 監視x @ 真の重み

    model = 回帰MLP(d)
    opt = torch.optim.Adam(model.parameters(), lr=設定["lr"])
    model.train()
    for epoch in range(設定["epochs"]):
        累計 = 0.0
        for i, (xb, yb) in enumerate(学習読込):
            opt.zero_grad()
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            opt.step()
            累計 += loss.item()
            if i % 設定["監視間隔"] == 0:
                model.eval()  # expect: BN103
                with torch.no_grad():
                    監視損失 = F.mse_loss(model(監視x), 監視y).item()
                print(f"epoch {epoch:3d} iter {i:4d} | train {loss.item():.4f} | monitor {監視損失:.4f}")
        print(f"== epoch {epoch:3d} 平均損失 {累計 / len(学習読込):.4f} (RMSE {math.sqrt(累計 / len(学習読込)):.3f})")

    torch.save(model.state_dict(), "house_mlp.pt")


if __name__ == "__main__":
    main()
