# 小样本微调: 在 ImageNet 预训练的 ResNet-50 风格网络上做 12 类商品识别
# 由于显存有限 (batch 16), 按照论文的做法冻结所有 BN 层 (统计量 + 仿射参数)
import argparse
import logging
import os
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

日志 = logging.getLogger(__name__)


def conv1x1(输入: int, 输出: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(输入, 输出, kernel_size=1, stride=stride, bias=False)


def conv3x3(输入: int, 输出: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(输入, 输出, kernel_size=3, stride=stride, padding=1, bias=False)


class 瓶颈块(nn.Module):
    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes); self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride); self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes)  # expect: BN201
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        恒等 = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + 恒等)


class 小ResNet(nn.Module):
    def __init__(self, 层数=(3, 4, 6, 3), 类别数: int = 1000) -> None:
        super().__init__()
        self.inplanes = 64
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        self.layer1 = self._构建层(64, 层数[0])
        self.layer2 = self._构建层(128, 层数[1], stride=2)
        self.layer3 = self._构建层(256, 层数[2], stride=2)
        self.layer4 = self._构建层(512, 层数[3], stride=2)
        self.fc = nn.Linear(512 * 瓶颈块.expansion, 类别数)

    def _构建层(self, planes: int, n: int, stride: int = 1) -> nn.Sequential:
        下采样 = None
        if stride != 1 or self.inplanes != planes * 瓶颈块.expansion:
            下采样 = nn.Sequential(conv1x1(self.inplanes, planes * 瓶颈块.expansion, stride), nn.BatchNorm2d(planes * 瓶颈块.expansion))
        层 = [瓶颈块(self.inplanes, planes, stride, 下采样)]
        self.inplanes = planes * 瓶颈块.expansion
        层 += [瓶颈块(self.inplanes, planes) for _ in range(1, n)]
        return nn.Sequential(*层)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def 冻结BN(model: nn.Module) -> None:
    """冻结所有 BN: 不更新 running_mean/var, 也不训练 gamma/beta"""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            m.weight.requires_grad_(False); m.bias.requires_grad_(False)


def 评估(model: nn.Module, loader: DataLoader, 设备: str) -> float:
    model.eval()
    对 = 总 = 0
    with torch.no_grad():
        for x, y in loader:
            对 += (model(x.to(设备)).argmax(1).cpu() == y).sum().item(); 总 += len(y)
    return 对 / 总


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="./goods")
    p.add_argument("--pretrained", default="resnet50_imagenet.pth")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--bs", type=int, default=16)
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO)
    设备 = "cuda" if torch.cuda.is_available() else "cpu"

    tf_train = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    tf_val = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])
    train_loader = DataLoader(datasets.ImageFolder(os.path.join(a.data, "train"), tf_train), batch_size=a.bs, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(datasets.ImageFolder(os.path.join(a.data, "val"), tf_val), batch_size=64, num_workers=8)

    model = 小ResNet()
    model.load_state_dict(torch.load(a.pretrained, map_location="cpu"))
    model.fc = nn.Linear(model.fc.in_features, 12)
    model.to(设备)
    冻结BN(model)

    opt = torch.optim.SGD([q for q in model.parameters() if q.requires_grad], lr=0.01, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.epochs)
    for epoch in range(a.epochs):
        model.train()  # expect: BN105
        for x, y in train_loader:
            x, y = x.to(设备), y.to(设备)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        sched.step()
        日志.info("epoch %d  loss %.4f  val acc %.4f", epoch, loss.item(), 评估(model, val_loader, 设备))
    torch.save(model.state_dict(), "goods_resnet50.pth")


if __name__ == "__main__":
    main()
