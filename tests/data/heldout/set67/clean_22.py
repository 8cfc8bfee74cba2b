"""INT8 quantization of a keyword-spotting CNN for an edge device.

Post-training static quantization by default; ``--qat`` runs quantization-aware
fine-tuning instead.
"""
import argparse

import torch
import torch.ao.quantization as tq
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from kws_data import build_dataset  # project-local: returns (log-mel (1, 40, 101), label)

FUSE_PATTERNS = [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"], ["conv3", "bn3", "relu3"]]


class DSCNN(nn.Module):
    def __init__(self, num_classes=12):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(1, 64, (10, 4), stride=(2, 2), padding=(5, 1), bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(64, 64, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.relu3 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.bn3(self.conv3(x)))
        x = self.fc(torch.flatten(self.pool(x), 1))
        return self.dequant(x)

    def fuse_model(self):
        tq.fuse_modules(self, FUSE_PATTERNS, inplace=True)


@torch.no_grad()
def calibrate(model, loader, num_batches=32):
    for i, (x, _) in enumerate(loader):
        if i >= num_batches:
            break
        model(x)


@torch.no_grad()
def accuracy(model, loader):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x).argmax(1) == y).sum().item()
        total += y.numel()
    return correct / total


def post_training_quantize(float_model, calib_loader):
    float_model.eval()
    float_model.fuse_model()
    float_model.qconfig = tq.get_default_qconfig("x86")
    prepared = tq.prepare(float_model)
    calibrate(prepared, calib_loader)
    return tq.convert(prepared)


def quantization_aware_finetune(float_model, train_loader, epochs=3):
    float_model.train()
    fused = tq.fuse_modules_qat(float_model, FUSE_PATTERNS)
    fused.qconfig = tq.get_default_qat_qconfig("x86")
    prepared = tq.prepare_qat(fused)
    optimizer = torch.optim.SGD(prepared.parameters(), lr=1e-4, momentum=0.9)
    for epoch in range(epochs):
        prepared.train()
        for x, y in train_loader:
            loss = F.cross_entropy(prepared(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch >= 1:
            prepared.apply(torch.ao.nn.intrinsic.qat.freeze_bn_stats)
    prepared.eval()
    return tq.convert(prepared)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default="dscnn_fp32.pt")
    parser.add_argument("--qat", action="store_true")
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()

    model = DSCNN()
    model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))
    train_loader = DataLoader(build_dataset("train"), batch_size=args.batch_size, shuffle=True, drop_last=True)
    test_loader = DataLoader(build_dataset("test"), batch_size=256)
    print(f"fp32 accuracy: {accuracy(model, test_loader):.4f}")

    if args.qat:
        quantized = quantization_aware_finetune(model, train_loader)
    else:
        quantized = post_training_quantize(model, train_loader)
    print(f"int8 accuracy: {accuracy(quantized, test_loader):.4f}")
    torch.jit.save(torch.jit.script(quantized), "dscnn_int8.pt")


if __name__ == "__main__":
    main()
