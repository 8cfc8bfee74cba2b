# -*- coding: utf-8 -*-
"""
CIFAR-10 小型卷积网络训练脚本
作者: 张伟  ——  《深度学习导论》课程作业 3
用法: python bug_01.py --epochs 30 --lr 0.05
"""
import argparse
import logging
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
import torchvision
import torchvision.transforms as T

logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(levelname)s] %(message)s")
日志 = logging.getLogger("cifar")

# ---- 超参数 (默认值) ----
批次大小 = 128
类别数 = 10
均值, 标准差 = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def 解析参数():
	p = argparse.ArgumentParser(description="CIFAR-10 训练")
	p.add_argument("--epochs", type=int, default=30)
	p.add_argument("--lr", type=float, default=0.05)
	p.add_argument("--data", type=str, default="./data")
	p.add_argument("--ckpt", type=str, default="./ckpt")
	p.add_argument("--workers", type=int, default=4)
	return p.parse_args()


class 小网络(nn.Module):
	"""三个卷积块 + 全连接分类头"""

	def __init__(self, num_classes: int = 类别数):
		super().__init__()
		self.特征 = nn.Sequential(
			nn.Conv2d(3, 32, 3, padding=1, bias=False),
			nn.BatchNorm2d(32),
			nn.ReLU(inplace=True),
			nn.MaxPool2d(2),  # 32x32 -> 16x16
			nn.Conv2d(32, 64, 3, padding=1),  # expect: BN204
			nn.BatchNorm2d(64),
			nn.ReLU(inplace=True),
			nn.MaxPool2d(2),  # 16x16 -> 8x8
			nn.Conv2d(64, 128, 3, padding=1, bias=False),
			nn.BatchNorm2d(128),
			nn.ReLU(inplace=True),
			nn.AdaptiveAvgPool2d(1),
		)
		# 分类头 —— 超参数是从 TF 版本直接抄过来的
		self.分类器 = nn.Sequential(
			nn.Flatten(),
			nn.Linear(128, 256, bias=False),
			nn.BatchNorm1d(256, momentum=0.99),  # expect: BN205
			nn.ReLU(inplace=True),
			nn.Dropout(0.3),
			nn.Linear(256, num_classes),
		)

	def forward(self, x):
		return self.分类器(self.特征(x))


def 训练一轮(model, loader, 优化器, 设备):
	model.train()
	总损失 = 0.0
	for 图像, 标签 in loader:
		图像, 标签 = 图像.to(设备, non_blocking=True), 标签.to(设备, non_blocking=True)
		优化器.zero_grad(); 损失 = F.cross_entropy(model(图像), 标签); 损失.backward(); 优化器.step()
		总损失 += 损失.item() * 图像.size(0)
	return 总损失 / len(loader.dataset)


@torch.no_grad()
def 测试(model, loader, 设备):
	# 计算测试集准确率
	正确 = 0
	for 图像, 标签 in loader:
		图像, 标签 = 图像.to(设备), 标签.to(设备)
		输出 = model(图像)  # expect: BN101
		正确 += (输出.argmax(dim=1) == 标签).sum().item()
	return 正确 / len(loader.dataset)


def main():
	args = 解析参数()
	设备 = torch.device("cuda" if torch.cuda.is_available() else "cpu")
	训练变换 = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(均值, 标准差)])
	测试变换 = T.Compose([T.ToTensor(), T.Normalize(均值, 标准差)])
	训练集 = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=训练变换)
	测试集 = torchvision.datasets.CIFAR10(args.data, train=False, download=True, transform=测试变换)
	训练加载器 = DataLoader(训练集, batch_size=批次大小, shuffle=True, num_workers=args.workers, pin_memory=True)
	测试加载器 = DataLoader(测试集, batch_size=256, shuffle=False, num_workers=args.workers)

	model = 小网络().to(设备)
	优化器 = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
	调度器 = torch.optim.lr_scheduler.CosineAnnealingLR(优化器, T_max=args.epochs)
	os.makedirs(args.ckpt, exist_ok=True)

	最佳 = 0.0
	for epoch in range(args.epochs):
		t0 = time.time()
		损失 = 训练一轮(model, 训练加载器, 优化器, 设备)
		准确率 = 测试(model, 测试加载器, 设备)
		调度器.step()
		日志.info("epoch %3d | loss %.4f | acc %.4f | %.1fs", epoch, 损失, 准确率, time.time() - t0)
		if 准确率 > 最佳:
			最佳 = 准确率
			torch.save({"epoch": epoch, "state_dict": model.state_dict(), "acc": 准确率}, os.path.join(args.ckpt, "best.pt"))
	日志.info("最佳准确率: %.4f", 最佳)


if __name__ == "__main__":
	main()
