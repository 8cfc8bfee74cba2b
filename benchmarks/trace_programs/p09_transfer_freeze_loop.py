# Modelled on: https://github.com/pytorch/pytorch/issues/86590 ("Easy way to freeze BatchNorm running_mean/
# running_var": a CNN frozen up to its last layers with `for param in net.parameters(): param.requires_grad =
# False`, alternating model.train()/model.eval(); "after training, I end up with a model where all batchnorm
# params have changed").
# Bug: BN105.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse


class Bottleneck(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(x + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))


class SmallResNet(nn.Module):
    def __init__(self, num_classes=100):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.layer1 = nn.Sequential(Bottleneck(32), Bottleneck(32))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.layer1(torch.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


args = parse()
net = SmallResNet()
for param in net.parameters():
    param.requires_grad = False
net.fc = nn.Linear(32, 5)  # the new head, trainable
optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-3)
train_loader = DataLoader(TensorDataset(torch.randn(96, 3, 16, 16), torch.randint(0, 5, (96,))), batch_size=16,
                          shuffle=True)
val_loader = DataLoader(TensorDataset(torch.randn(32, 3, 16, 16), torch.randint(0, 5, (32,))), batch_size=16)
step = 0
with Clock():
    while step < args.steps:
        net.train()
        for x, y in train_loader:
            loss = nn.functional.cross_entropy(net(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step >= args.steps:
                break
        net.eval()
        with torch.no_grad():
            for x, y in val_loader:
                net(x)
