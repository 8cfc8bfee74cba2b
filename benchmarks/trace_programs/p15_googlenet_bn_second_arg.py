# Modelled on: https://github.com/weiaicunzai/pytorch-cifar100/pull/57 ("Remove one bug in BatchNorm2d from
# GoogleNet": nn.BatchNorm2d(n5x5, n5x5) in the inception module's 5x5 branch passes the channel count as eps).
# Bug: BN206 (eps = 32: the branch is barely normalised). Source-only.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse


class Inception(nn.Module):
    def __init__(self, input_channels, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
        super().__init__()
        self.b1 = nn.Sequential(nn.Conv2d(input_channels, n1x1, kernel_size=1), nn.BatchNorm2d(n1x1),
                                nn.ReLU(inplace=True))
        self.b2 = nn.Sequential(nn.Conv2d(input_channels, n3x3_reduce, kernel_size=1), nn.BatchNorm2d(n3x3_reduce),
                                nn.ReLU(inplace=True), nn.Conv2d(n3x3_reduce, n3x3, kernel_size=3, padding=1),
                                nn.BatchNorm2d(n3x3), nn.ReLU(inplace=True))
        self.b3 = nn.Sequential(nn.Conv2d(input_channels, n5x5_reduce, kernel_size=1), nn.BatchNorm2d(n5x5_reduce),
                                nn.ReLU(inplace=True), nn.Conv2d(n5x5_reduce, n5x5, kernel_size=3, padding=1),
                                nn.BatchNorm2d(n5x5, n5x5), nn.ReLU(inplace=True),
                                nn.Conv2d(n5x5, n5x5, kernel_size=3, padding=1), nn.BatchNorm2d(n5x5),
                                nn.ReLU(inplace=True))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(input_channels, pool_proj, 1),
                                nn.BatchNorm2d(pool_proj), nn.ReLU(inplace=True))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)


class GoogleNet(nn.Module):
    def __init__(self, num_class=100):
        super().__init__()
        self.prelayer = nn.Sequential(nn.Conv2d(3, 32, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(32),
                                      nn.ReLU(inplace=True))
        self.a3 = Inception(32, 16, 24, 32, 4, 8, 8)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(64, num_class)

    def forward(self, x):
        x = self.avgpool(self.a3(self.prelayer(x)))
        return self.linear(x.view(x.size()[0], -1))


args = parse()
net = GoogleNet()
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
cifar100_training_loader = DataLoader(TensorDataset(torch.randn(128, 3, 16, 16), torch.randint(0, 100, (128,))),
                                      shuffle=True, batch_size=32)
loss_function = nn.CrossEntropyLoss()
step = 0
with Clock():
    while step < args.steps:
        net.train()
        for images, labels in cifar100_training_loader:
            optimizer.zero_grad()
            loss = loss_function(net(images), labels)
            loss.backward()
            optimizer.step()
            step += 1
            if step >= args.steps:
                break
