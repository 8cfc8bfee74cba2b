# -*- coding: utf-8 -*-
"""
SVHN 门牌号数字识别 —— 训练 + 逐张测试 (模拟线上单张推理的延迟)
用法: python clean_01.py --epochs 20
"""
import argparse
import logging
import time
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

日志 = logging.getLogger("svhn")
批次大小 = 128


@contextmanager
def 评估模式(model: nn.Module):
	"""临时切换到 eval 模式, 退出时恢复原来的模式"""
	原模式 = model.training
	model.eval()
	try:
		yield model
	finally:
		model.train(原模式)


def 卷积块(输入通道: int, 输出通道: int) -> nn.Sequential:
	return nn.Sequential(
		nn.Conv2d(输入通道, 输出通道, 3, padding=1, bias=False),
		nn.BatchNorm2d(输出通道, 1e-3),  # 第二个位置参数就是 eps
		nn.ReLU(inplace=True),
		nn.Conv2d(输出通道, 输出通道, 3, padding=1, bias=False),
		nn.BatchNorm2d(输出通道, eps=1e-3, momentum=0.01),
		nn.ReLU(inplace=True),
		nn.MaxPool2d(2),
	)


class 门牌网络(nn.Module):
	def __init__(self, 类别数: int = 10):
		super().__init__()
		self.特征 = nn.Sequential(卷积块(3, 32), 卷积块(32, 64), 卷积块(64, 128))
		self.池化 = nn.AdaptiveAvgPool2d(1)
		self.分类 = nn.Linear(128, 类别数)

	def forward(self, x):
		return self.分类(torch.flatten(self.池化(self.特征(x)), 1))


def 训练一轮(model, loader, 优化器, 设备) -> float:
	model.train()
	累计 = 0.0
	for x, y in loader:
		x, y = x.to(设备), y.to(设备)
		优化器.zero_grad(); 损失 = F.cross_entropy(model(x), y); 损失.backward(); 优化器.step()
		累计 += 损失.item()
	return 累计 / len(loader)


def 验证(model, loader, 设备) -> float:
	正确 = 总数 = 0
	with 评估模式(model), torch.no_grad():
		for x, y in loader:
			正确 += (model(x.to(设备)).argmax(1).cpu() == y).sum().item(); 总数 += y.numel()
	return 正确 / 总数


def 逐张测试(model, 数据集, 设备) -> tuple[float, float]:
	# batch_size=1: 模拟线上服务, 必须在 eval 模式下跑
	loader = DataLoader(数据集, batch_size=1, shuffle=False)
	model.eval()
	正确, 耗时 = 0, 0.0
	with torch.inference_mode():
		for x, y in loader:
			t0 = time.perf_counter()
			预测 = model(x.to(设备)).argmax(1).item()
			耗时 += time.perf_counter() - t0
			正确 += int(预测 == y.item())
	return 正确 / len(数据集), 1e3 * 耗时 / len(数据集)


def main():
	p = argparse.ArgumentParser()
	p.add_argument("--epochs", type=int, default=20)
	p.add_argument("--root", default="./svhn")
	args = p.parse_args()
	logging.basicConfig(level=logging.INFO)
	设备 = torch.device("cuda" if torch.cuda.is_available() else "cpu")

	变换 = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.44, 0.44, 0.47), (0.20, 0.20, 0.20))])
	训练集 = datasets.SVHN(args.root, split="train", download=True, transform=变换)
	测试集 = datasets.SVHN(args.root, split="test", download=True, transform=变换)
	训练加载器 = DataLoader(训练集, batch_size=批次大小, shuffle=True, num_workers=4, drop_last=True)
	测试加载器 = DataLoader(测试集, batch_size=512, num_workers=4)

	model = 门牌网络().to(设备)
	优化器 = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
	for epoch in range(args.epochs):
		损失 = 训练一轮(model, 训练加载器, 优化器, 设备)
		准确率 = 验证(model, 测试加载器, 设备)
		日志.info("epoch %02d loss %.4f acc %.4f", epoch, 损失, 准确率)

	准确率, 延迟 = 逐张测试(model, 测试集, 设备)
	日志.info("单张推理: acc %.4f, 平均延迟 %.2f ms", 准确率, 延迟)
	torch.save(model.state_dict(), "svhn.pt")


if __name__ == "__main__":
	main()
