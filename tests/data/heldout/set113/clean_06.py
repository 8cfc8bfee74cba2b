"""按步数训练的 KMNIST 分类器 (带周期性验证与最优模型保存)。

设计要点:
    - `训练步` 用装饰器 `@确保训练模式` 包装, 每一步之前都会 model.train()
    - `周期评估` 内部切到 eval, 返回前恢复 train
    - 最终测试用 `model.train(mode=False)` (等价于 eval)
"""
from __future__ import annotations

import copy
import functools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol, TypeVar

import torch
import torch.nn as nn
import torch.nn.functional as F

if TYPE_CHECKING:
    from torch.optim import Optimizer
    from torch.utils.data import DataLoader

__all__ = ["训练配置", "卷积分类器", "训练循环", "测试"]

日志 = logging.getLogger(__name__)
R = TypeVar("R")


class 有模式的模块(Protocol):
    training: bool
    def train(self, mode: bool = True) -> Any: ...
    def __call__(self, *args: Any) -> torch.Tensor: ...


@dataclass
class 训练配置:
    总步数: int = 6000
    评估间隔: int = 300
    批大小: int = 64
    学习率: float = 2e-3
    通道: list[int] = field(default_factory=lambda: [32, 64])
    历史: list[float] = field(default_factory=list)


def 确保训练模式(fn: Callable[..., R]) -> Callable[..., R]:
    @functools.wraps(fn)
    def 包装(model: 有模式的模块, *args: Any, **kwargs: Any) -> R:
        if not model.training:
            model.train()
        return fn(model, *args, **kwargs)
    return 包装


class 卷积分类器(nn.Module):
    def __init__(self, 通道: list[int], 类别: int = 10) -> None:
        super().__init__()
        c1, c2 = 通道
        self.网络 = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1, bias=False), nn.BatchNorm2d(c1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(c2 * 7 * 7, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 类别),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.网络(x)


@确保训练模式
def 训练步(model: 卷积分类器, x: torch.Tensor, y: torch.Tensor, 优化器: "Optimizer") -> float:
    优化器.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    优化器.step()
    return loss.item()


def 周期评估(model: 卷积分类器, loader: "DataLoader") -> float:
    model.eval()
    对 = 总 = 0
    with torch.no_grad():
        for x, y in loader:
            对 += (model(x).argmax(1) == y).sum().item(); 总 += len(y)
    model.train()
    return 对 / 总


def 循环(loader: "DataLoader") -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    while True:
        yield from loader


def 训练循环(model: 卷积分类器, 训练加载器: "DataLoader", 验证加载器: "DataLoader", cfg: 训练配置) -> 卷积分类器:
    优化器 = torch.optim.Adam(model.parameters(), lr=cfg.学习率)
    最优, 最优权重 = 0.0, copy.deepcopy(model.state_dict())
    for 步, (x, y) in zip(range(1, cfg.总步数 + 1), 循环(训练加载器)):
        损失 = 训练步(model, x, y, 优化器)
        if 步 % cfg.评估间隔 == 0:
            (准确率 := 周期评估(model, 验证加载器)) and cfg.历史.append(准确率)
            日志.info("step %5d  loss %.4f  val %.4f", 步, 损失, 准确率)
            if 准确率 > 最优:
                最优, 最优权重 = 准确率, copy.deepcopy(model.state_dict())
    model.load_state_dict(最优权重)
    return model


def 测试(model: 卷积分类器, loader: "DataLoader") -> float:
    model.train(mode=False)
    with torch.inference_mode():
        预测 = torch.cat([model(x).argmax(1) for x, _ in loader])
        标签 = torch.cat([y for _, y in loader])
    return (预测 == 标签).float().mean().item()


if __name__ == "__main__":
    from torch.utils.data import DataLoader, random_split
    from torchvision import datasets, transforms

    logging.basicConfig(level=logging.INFO)
    cfg = 训练配置()
    tf = transforms.ToTensor()
    全部 = datasets.KMNIST("./data", train=True, download=True, transform=tf)
    训练集, 验证集 = random_split(全部, [55000, 5000], generator=torch.Generator().manual_seed(0))
    训练加载器 = DataLoader(训练集, batch_size=cfg.批大小, shuffle=True, drop_last=True)
    验证加载器 = DataLoader(验证集, batch_size=500)
    测试加载器 = DataLoader(datasets.KMNIST("./data", train=False, download=True, transform=tf), batch_size=500)
    model = 训练循环(卷积分类器(cfg.通道), 训练加载器, 验证加载器, cfg)
    日志.info("test acc = %.4f", 测试(model, 测试加载器))
