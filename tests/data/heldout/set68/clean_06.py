"""SWA fine-tuning of a bottleneck ResNet on a 20-class texture dataset,
followed by BN recalibration, evaluation and TorchScript export.
"""
import argparse
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader, TensorDataset


def conv1x1(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 1, stride=stride, bias=False)


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, norm_layer=nn.BatchNorm2d):
        super().__init__()
        width = planes
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.downsample = None
        if stride != 1 or inplanes != planes * self.expansion:
            self.downsample = nn.Sequential(
                conv1x1(inplanes, planes * self.expansion, stride),
                norm_layer(planes * self.expansion),
            )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + identity)


class TextureResNet(nn.Module):
    def __init__(self, n_classes=20, layers=(2, 2, 2)):
        super().__init__()
        norm = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)
        self.inplanes = 64
        self.stem = nn.Sequential(conv3x3(3, 64, 2), norm(64), nn.ReLU(inplace=True))
        stages = []
        for i, (planes, n) in enumerate(zip((32, 64, 128), layers)):
            for j in range(n):
                stride = 2 if (j == 0 and i > 0) else 1
                stages.append(Bottleneck(self.inplanes, planes, stride, norm_layer=norm))
                self.inplanes = planes * Bottleneck.expansion
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(self.inplanes, n_classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def accuracy(model, loader, device):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
    return correct / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--init", default="texture_resnet_base.pt")
    parser.add_argument("--swa-epochs", type=int, default=12)
    parser.add_argument("--swa-lr", type=float, default=0.02)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    g = torch.Generator().manual_seed(0)
    train = TensorDataset(torch.rand(5000, 3, 64, 64, generator=g), torch.randint(0, 20, (5000,), generator=g))
    test = TensorDataset(torch.rand(1000, 3, 64, 64, generator=g), torch.randint(0, 20, (1000,), generator=g))
    train_loader = DataLoader(train, batch_size=64, shuffle=True, num_workers=4)
    test_loader = DataLoader(test, batch_size=250)

    model = TextureResNet().to(device)
    model.load_state_dict(torch.load(args.init, map_location=device))
    swa_model = AveragedModel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.swa_lr, momentum=0.9, weight_decay=5e-4)
    swa_sched = SWALR(optimizer, swa_lr=args.swa_lr, anneal_strategy="cos", anneal_epochs=2)

    for epoch in range(args.swa_epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        swa_model.update_parameters(model)
        swa_sched.step()

    update_bn(train_loader, swa_model, device=device)
    swa_model.eval()
    model.eval()
    print(f"last iterate acc: {accuracy(model, test_loader, device):.4f}")
    print(f"SWA acc:          {accuracy(swa_model, test_loader, device):.4f}")

    final = swa_model.module
    final.eval()
    example = torch.rand(1, 3, 64, 64, device=device)
    with torch.no_grad():
        scripted = torch.jit.trace(final, example)
    scripted.save("texture_resnet_swa.pt")


if __name__ == "__main__":
    main()
