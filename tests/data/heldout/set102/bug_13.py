# Q: "AssertionError: Fusion only for eval!" when following the static quantization tutorial
#
# Traceback points at torch/nn/utils/fusion.py fuse_conv_bn_eval. I load my trained
# fp32 weights and then do exactly what the tutorial does (fuse -> prepare ->
# calibrate -> convert). What does "only for eval" mean here, I'm not training anymore?

import os
import time

import torch
import torch.nn as nn
from torch.ao.quantization import DeQuantStub, QuantStub, convert, fuse_modules, get_default_qconfig, prepare
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

torch.backends.quantized.engine = "x86"


class M(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = QuantStub()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)  # expect: BN204
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.relu3 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.bn3(self.conv3(x)))
        x = torch.flatten(self.pool(x), 1)
        x = self.fc(x)
        return self.dequant(x)


def print_size_of_model(model):
    torch.save(model.state_dict(), "temp.p")
    print("Size (MB):", os.path.getsize("temp.p") / 1e6)
    os.remove("temp.p")


def calibrate(model, loader, num_batches=32):
    model.eval()
    with torch.no_grad():
        for i, (images, _) in enumerate(loader):
            model(images)
            if i + 1 >= num_batches:
                break


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    t0 = time.time()
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
            total += labels.numel()
    print(f"acc {correct / total:.4f}  ({time.time() - t0:.1f}s)")


def main():
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    test_set = datasets.CIFAR10("data", train=False, download=True, transform=tf)
    calib_loader = DataLoader(Subset(test_set, range(1024)), batch_size=32)
    test_loader = DataLoader(test_set, batch_size=256)

    model_fp32 = M()
    model_fp32.load_state_dict(torch.load("cifar_fp32.pth", map_location="cpu"))
    model_fp32.qconfig = get_default_qconfig("x86")

    model_fused = fuse_modules(model_fp32, [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"], ["conv3", "bn3", "relu3"]])  # expect: BN104
    model_prepared = prepare(model_fused)
    calibrate(model_prepared, calib_loader)
    model_int8 = convert(model_prepared)

    print_size_of_model(model_fp32)
    print_size_of_model(model_int8)
    evaluate(model_int8, test_loader)
    torch.jit.save(torch.jit.script(model_int8), "cifar_int8.pt")


if __name__ == "__main__":
    main()
