import torch
import torch.nn as nn
import torch.nn.functional as F


class activation(nn.ReLU):
    def __init__(self, dim, act_num=3):
        super().__init__()
        self.act_num = act_num
        self.weight = nn.Parameter(torch.randn(dim, 1, act_num * 2 + 1, act_num * 2 + 1))
        self.bias = None
        self.bn = nn.BatchNorm2d(dim, eps=1e-6)
        self.dim = dim

    def forward(self, x):
        x = F.conv2d(super().forward(x), self.weight, self.bias, padding=self.act_num, groups=self.dim)
        return self.bn(x)


class Block(nn.Module):
    def __init__(self, dim, dim_out, act_num=3, stride=2):
        super().__init__()
        self.act_learn = 1
        self.conv1 = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=1),
            nn.BatchNorm2d(dim, eps=1e-6),
        )
        self.conv2 = nn.Sequential(
            nn.Conv2d(dim, dim_out, kernel_size=1),
            nn.BatchNorm2d(dim_out, eps=1e-6),
        )
        self.pool = nn.Identity() if stride == 1 else nn.MaxPool2d(stride)
        self.act = activation(dim_out, act_num)

    def forward(self, x):
        x = self.conv1(x)
        x = F.leaky_relu(x, self.act_learn)
        x = self.conv2(x)
        return self.act(self.pool(x))


class VanillaNet(nn.Module):
    def __init__(self, in_chans=3, num_classes=1000, dims=(96, 192, 384, 768), strides=(2, 2, 2)):
        super().__init__()
        self.stem1 = nn.Sequential(
            nn.Conv2d(in_chans, dims[0], kernel_size=4, stride=4),
            nn.BatchNorm2d(dims[0], eps=1e-6),
        )
        self.stages = nn.ModuleList()
        for i in range(len(strides)):
            self.stages.append(Block(dim=dims[i], dim_out=dims[i + 1], stride=strides[i]))
        self.cls = nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Conv2d(dims[-1], num_classes, 1))

    def forward(self, x):
        x = self.stem1(x)
        for stage in self.stages:
            x = stage(x)
        return self.cls(x).view(x.size(0), -1)
