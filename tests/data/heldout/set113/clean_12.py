# 知识蒸馏: ResNet-50 风格教师 (已训练, 冻结) -> ResNet-18 风格学生
# 教师: eval 模式 + requires_grad_(False), 只在 no_grad 下提供软标签
import argparse
import logging
from functools import partial
from typing import Callable, Optional, Type, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

日志 = logging.getLogger("蒸馏")
NormLayer = Callable[[int], nn.Module]


def conv3x3(i: int, o: int, s: int = 1) -> nn.Conv2d:
    return nn.Conv2d(i, o, 3, s, 1, bias=False)


def conv1x1(i: int, o: int, s: int = 1) -> nn.Conv2d:
    return nn.Conv2d(i, o, 1, s, bias=False)


class 基本块(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None, norm_layer: NormLayer = nn.BatchNorm2d) -> None:
        super().__init__()
        self.conv1, self.bn1 = conv3x3(inplanes, planes, stride), norm_layer(planes)
        self.conv2, self.bn2 = conv3x3(planes, planes), norm_layer(planes)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))) + idt)


class 瓶颈块(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None, norm_layer: NormLayer = nn.BatchNorm2d) -> None:
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes); self.bn1 = norm_layer(planes)
        self.conv2 = conv3x3(planes, planes, stride); self.bn2 = norm_layer(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion); self.bn3 = norm_layer(planes * self.expansion)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        return F.relu(self.bn3(self.conv3(out)) + idt)


class 残差网络(nn.Module):
    def __init__(self, block: Type[Union[基本块, 瓶颈块]], layers: list[int], num_classes: int = 100, norm_layer: NormLayer = partial(nn.BatchNorm2d, momentum=0.01)) -> None:
        super().__init__()
        self._norm = norm_layer
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)   # CIFAR 版: 3x3 stem, 无 maxpool
        self.bn1 = norm_layer(64)
        self.stages = nn.Sequential(*[self._make_layer(block, 64 * 2 ** i, n, 1 if i == 0 else 2) for i, n in enumerate(layers)])
        self.fc = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes: int, blocks: int, stride: int) -> nn.Sequential:
        ds = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            ds = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride), self._norm(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, ds, self._norm)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, norm_layer=self._norm) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.stages(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def 蒸馏损失(学生输出, 教师输出, 标签, T: float = 4.0, α: float = 0.9):
    软 = F.kl_div(F.log_softmax(学生输出 / T, 1), F.softmax(教师输出 / T, 1), reduction="batchmean") * T * T
    return α * 软 + (1 - α) * F.cross_entropy(学生输出, 标签)


@torch.no_grad()
def 评估(model: nn.Module, loader: DataLoader, 设备) -> float:
    model.eval()
    return sum((model(x.to(设备)).argmax(1).cpu() == y).sum().item() for x, y in loader) / len(loader.dataset)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--teacher", default="teacher_r50_cifar100.pt")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--bs", type=int, default=128)
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO)
    设备 = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    均值, 方差 = (0.507, 0.487, 0.441), (0.267, 0.256, 0.276)
    训练集 = datasets.CIFAR100("./data", True, transforms.Compose([transforms.RandomCrop(32, 4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize(均值, 方差)]), download=True)
    测试集 = datasets.CIFAR100("./data", False, transforms.Compose([transforms.ToTensor(), transforms.Normalize(均值, 方差)]), download=True)
    训练加载 = DataLoader(训练集, batch_size=a.bs, shuffle=True, num_workers=4, drop_last=True)
    测试加载 = DataLoader(测试集, batch_size=256, num_workers=4)

    教师 = 残差网络(瓶颈块, [3, 4, 6, 3]).to(设备)
    教师.load_state_dict(torch.load(a.teacher, map_location=设备))
    教师.eval()
    教师.requires_grad_(False)
    日志.info("教师准确率: %.4f", 评估(教师, 测试加载, 设备))

    学生 = 残差网络(基本块, [2, 2, 2, 2]).to(设备)
    优化器 = torch.optim.SGD(学生.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    调度 = torch.optim.lr_scheduler.CosineAnnealingLR(优化器, a.epochs)
    for epoch in range(a.epochs):
        学生.train()
        for x, y in 训练加载:
            x, y = x.to(设备), y.to(设备)
            with torch.no_grad():
                软标签 = 教师(x)
            loss = 蒸馏损失(学生(x), 软标签, y)
            优化器.zero_grad(set_to_none=True); loss.backward(); 优化器.step()
        调度.step()
        if epoch % 10 == 9:
            日志.info("epoch %d  loss %.4f  学生准确率 %.4f", epoch, loss.item(), 评估(学生, 测试加载, 设备))
    torch.save(学生.state_dict(), "student_r18.pt")


if __name__ == "__main__":
    main()
