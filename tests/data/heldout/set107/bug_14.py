"""Eager-mode INT8 quantization of SmallResNet for the x86 inference box.

No fusion step here: the residual blocks use FloatFunctional for the skip
add, and the convs/BNs are quantized as separate modules.
"""
import argparse

import torch
import torch.nn as nn
import torch.ao.nn.quantized as nnq
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class BasicBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.skip_add = nnq.FloatFunctional()
        self.relu2 = nn.ReLU()

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu2(self.skip_add.add(out, x))


class SmallResNet(nn.Module):
    def __init__(self, num_classes=10, width=64):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.stem = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(width)
        self.stem_relu = nn.ReLU()
        self.layer1 = nn.Sequential(BasicBlock(width), BasicBlock(width))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, num_classes)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.stem_relu(self.stem_bn(self.stem(x)))
        x = self.layer1(x)
        x = torch.flatten(self.pool(x), 1)
        return self.dequant(self.fc(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fp32", default="smallresnet_fp32.pth")
    parser.add_argument("--data", default="./data")
    parser.add_argument("--calib-batches", type=int, default=20)
    parser.add_argument("--out", default="smallresnet_int8.pth")
    args = parser.parse_args()

    calib_set = datasets.CIFAR10(args.data, train=False, download=True, transform=transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    ]))
    calib_loader = DataLoader(calib_set, batch_size=100, shuffle=True)

    model = SmallResNet(num_classes=10)
    model.load_state_dict(torch.load(args.fp32, map_location="cpu"))

    torch.backends.quantized.engine = "x86"
    model.qconfig = torch.ao.quantization.get_default_qconfig("x86")
    torch.ao.quantization.prepare(model, inplace=True)

    with torch.no_grad():
        for i, (images, _) in enumerate(calib_loader):
            model(images)  # expect: BN101
            if i + 1 >= args.calib_batches:
                break

    torch.ao.quantization.convert(model, inplace=True)  # expect: BN104
    torch.save(model.state_dict(), args.out)
    print(model)
    print("saved quantized weights to", args.out)


if __name__ == "__main__":
    main()
