# Modelled on: https://github.com/openvinotoolkit/nncf/pull/379 ("Dropped last data point in all DataLoaders to
# prevent issue with BN": a CIFAR10 sanity test of 1000 points with batch_size=3 left a last batch of one).
# Bug: BN302 (the training DataLoader's last batch holds one sample). Scaled down: 100 points, batch 3.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse

args = parse()


def conv_bn(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


model = nn.Sequential(conv_bn(3, 16), nn.MaxPool2d(2), conv_bn(16, 32), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                      nn.Linear(32 * 4, 10))
train_dataset = TensorDataset(torch.randn(100, 3, 16, 16), torch.randint(0, 10, (100,)))
train_loader = DataLoader(train_dataset, batch_size=3, shuffle=True, num_workers=0)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

step = 0
with Clock():
    for epoch in range(100):
        model.train()
        for images, target in train_loader:
            loss = criterion(model(images), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step >= args.steps:
                break
        if step >= args.steps:
            break
