"""基于步数 (iteration-based) 的 MNIST MLP 训练器。

特点:
    * 训练步骤用装饰器统计耗时
    * 用 Protocol 描述"可训练模型"的接口
    * 每 `评估间隔` 步在固定的验证批次上做一次快速评估
"""
from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Callable, Iterator, Protocol, TypeVar

import torch
import torch.nn as nn
import torch.nn.functional as F

if TYPE_CHECKING:
    from torch.optim import Optimizer
    from torch.utils.data import DataLoader

__all__ = ["可训练模型", "MLP分类器", "训练", "main"]

日志 = logging.getLogger(__name__)
T = TypeVar("T")


class 可训练模型(Protocol):
    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...
    def train(self, mode: bool = True) -> "可训练模型": ...
    def eval(self) -> "可训练模型": ...


def 计时(fn: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(fn)
    def 包装(*args, **kwargs) -> T:
        t0 = time.perf_counter(); 结果 = fn(*args, **kwargs); 日志.debug("%s 用时 %.3f ms", fn.__name__, 1e3 * (time.perf_counter() - t0)); return 结果
    return 包装


class MLP分类器(nn.Module):
    def __init__(self, 输入维度: int = 784, 隐藏: int = 512, 类别: int = 10) -> None:
        super().__init__()
        self.层 = nn.Sequential(
            nn.Linear(输入维度, 隐藏),  # expect: BN204
            nn.BatchNorm1d(隐藏),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(隐藏, 隐藏 // 2, bias=False),
            nn.BatchNorm1d(隐藏 // 2),
            nn.ReLU(),
            nn.Linear(隐藏 // 2, 类别),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.层(x.flatten(1))


@计时
def 前向反向(model: 可训练模型, batch: tuple[torch.Tensor, torch.Tensor]) -> float:
    x, y = batch
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    return loss.item()


def 快速评估(model: 可训练模型, batch: tuple[torch.Tensor, torch.Tensor]) -> float:
    model.eval()
    with torch.no_grad():
        x, y = batch
        return (model(x).argmax(1) == y).float().mean().item()


def 无限迭代(loader: "DataLoader") -> Iterator:
    while True:
        yield from loader


def 训练(model: MLP分类器, train_loader: "DataLoader", val_batch, 优化器: "Optimizer", 总步数: int = 10_000, 评估间隔: int = 500) -> None:
    model.train()
    数据流 = 无限迭代(train_loader)
    for 步 in range(1, 总步数 + 1):
        损失 = 前向反向(model, next(数据流))
        优化器.step()
        优化器.zero_grad(set_to_none=True)
        if 步 % 评估间隔 == 0:
            准确率 = 快速评估(model, val_batch)  # expect: BN103
            日志.info("step %6d | loss %.4f | val acc %.4f", 步, 损失, 准确率)


def main() -> None:
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    logging.basicConfig(level=logging.INFO)
    变换 = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    训练集 = datasets.MNIST("./data", train=True, download=True, transform=变换)
    验证集 = datasets.MNIST("./data", train=False, download=True, transform=变换)
    train_loader = DataLoader(训练集, batch_size=128, shuffle=True, drop_last=True, num_workers=2)
    val_batch = next(iter(DataLoader(验证集, batch_size=2000, shuffle=True)))

    model = MLP分类器()
    优化器 = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    训练(model, train_loader, val_batch, 优化器)
    torch.save(model.state_dict(), "mlp_mnist.pt")


if __name__ == "__main__":
    main()
