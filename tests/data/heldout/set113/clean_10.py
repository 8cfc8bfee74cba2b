"""多尺度特征 + 多任务头 (场景分类 / 天气 / 时段)。

- 各阶段的卷积与 BN 都放在 nn.ModuleDict 里, 由字典推导式生成
- BN 的初始化与 momentum 统一通过 _BatchNorm 基类处理
"""
from __future__ import annotations

import argparse
import logging
from typing import Dict, Final

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader, Dataset

__all__ = ["多尺度网络", "初始化权重"]

日志 = logging.getLogger(__name__)
阶段宽度: Final[Dict[str, int]] = {"s1": 32, "s2": 64, "s3": 128, "s4": 256}
任务: Final[Dict[str, int]] = {"场景": 8, "天气": 4, "时段": 3}
归一化 = lambda c, dim=2: getattr(nn, f"BatchNorm{dim}d")(c, momentum=0.05)


class 多尺度网络(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        名字 = list(阶段宽度)
        输入 = dict(zip(名字, [3] + [阶段宽度[k] for k in 名字[:-1]]))
        self.卷积 = nn.ModuleDict({k: nn.Conv2d(输入[k], c, 3, stride=2, padding=1, bias=False) for k, c in 阶段宽度.items()})
        self.归一 = nn.ModuleDict({k: 归一化(c) for k, c in 阶段宽度.items()})
        总宽 = sum(阶段宽度.values())   # 480: 四个阶段池化后拼接
        self.融合 = nn.Sequential(nn.Linear(总宽, 256, bias=False), 归一化(256, dim=1), nn.ReLU(inplace=True))
        self.头 = nn.ModuleDict({t: nn.Linear(256, n) for t, n in 任务.items()})

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        池化特征 = []
        for k in 阶段宽度:
            x = F.relu(self.归一[k](self.卷积[k](x)))
            池化特征.append(F.adaptive_avg_pool2d(x, 1).flatten(1))
        z = self.融合(torch.cat(池化特征, dim=1))
        return {t: h(z) for t, h in self.头.items()}


def 初始化权重(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, _BatchNorm):
            nn.init.ones_(m.weight); nn.init.zeros_(m.bias)
            m.momentum = 0.01 if m.num_features >= 128 else m.momentum
        elif isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class 街景数据(Dataset):
    def __init__(self, 路径: str) -> None:
        数据 = torch.load(路径)
        self.图像: torch.Tensor = 数据["images"]
        self.标签: Dict[str, torch.Tensor] = 数据["labels"]

    def __len__(self) -> int:
        return self.图像.shape[0]

    def __getitem__(self, i: int):
        return self.图像[i], {t: self.标签[t][i] for t in 任务}


@torch.inference_mode()
def 推理(model: 多尺度网络, loader: DataLoader) -> Dict[str, float]:
    model.eval()
    对 = {t: 0 for t in 任务}; 总 = 0
    for x, y in loader:
        输出 = model(x)
        for t in 任务:
            对[t] += (输出[t].argmax(1) == y[t]).sum().item()
        总 += len(x)
    return {t: v / 总 for t, v in 对.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="street_train.pt")
    ap.add_argument("--val", default="street_val.pt")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--bs", type=int, default=48)
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    model = 多尺度网络(); 初始化权重(model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    训练 = DataLoader(街景数据(a.train), batch_size=a.bs, shuffle=True, drop_last=True)
    验证 = DataLoader(街景数据(a.val), batch_size=128)
    for ep in range(a.epochs):
        model.train()
        for x, y in 训练:
            输出 = model(x)
            loss = sum(F.cross_entropy(输出[t], y[t]) for t in 任务)
            opt.zero_grad(); loss.backward(); opt.step()
        日志.info("ep %d  loss %.4f  %s", ep, loss.item(), 推理(model, 验证))
    torch.save(model.state_dict(), "street_multitask.pt")


if __name__ == "__main__":
    main()
