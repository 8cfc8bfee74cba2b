"""ResNet-50 v1 ported from the MXNet GluonCV model zoo (resnetv1b).

Gluon code this replaces:
    nn.BatchNorm(momentum=0.9, epsilon=1e-5)
    net.hybridize(); net.export("resnet50_v1b")
The exported TorchScript file is picked up by the serving team.
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def _bn(channels, zero_init=False):
    # gluon.nn.BatchNorm(momentum=0.9, epsilon=1e-5)
    bn = nn.BatchNorm2d(channels, eps=1e-5, momentum=0.9)  # expect: BN205
    if zero_init:
        nn.init.zeros_(bn.weight)
    return bn


class BottleneckV1b(nn.Module):
    expansion = 4

    def __init__(self, in_channels, planes, stride=1, downsample=False):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = _bn(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = _bn(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = _bn(planes * self.expansion, zero_init=True)
        self.relu = nn.ReLU(inplace=True)
        if downsample:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, planes * self.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes),  # expect: BN201
            )
        else:
            self.downsample = None

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNetV1b(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), num_classes=1000):
        super().__init__()
        self.in_channels = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = _bn(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * BottleneckV1b.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        need_ds = stride != 1 or self.in_channels != planes * BottleneckV1b.expansion
        layers = [BottleneckV1b(self.in_channels, planes, stride, downsample=need_ds)]
        self.in_channels = planes * BottleneckV1b.expansion
        for _ in range(1, blocks):
            layers.append(BottleneckV1b(self.in_channels, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    for step, (images, target) in enumerate(loader):
        images, target = images.to(device, non_blocking=True), target.to(device)
        loss = criterion(model(images), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.4f}")


def main():
    device = torch.device("cuda")
    tf = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    train_set = datasets.ImageFolder("/data/imagenet/train", tf)
    loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=8,
                        pin_memory=True, drop_last=True)

    model = ResNetV1b(num_classes=1000).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=90)
    for epoch in range(90):
        train_one_epoch(model, loader, optimizer, device)
        scheduler.step()
        torch.save(model.state_dict(), f"resnet50_v1b_{epoch:03d}.pt")

    # gluon: net.hybridize(); net.export(...)
    example = torch.randn(1, 3, 224, 224, device=device)
    traced = torch.jit.trace(model, example)  # expect: BN104
    traced.save("resnet50_v1b.torchscript.pt")


if __name__ == "__main__":
    main()
