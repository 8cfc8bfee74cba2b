"""
Lab 7 (solution): post-training static quantization vs. quantization-aware
training for a small MNIST CNN.

  PTQ: eval() -> fuse_modules -> prepare -> calibrate -> convert
  QAT: train() -> fuse_modules_qat -> prepare_qat -> fine-tune -> eval() -> convert
"""
import copy
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.ao.quantization as tq
from torch.ao.quantization import QuantStub, DeQuantStub
from torchvision import datasets, transforms

EPOCHS = 3
QAT_EPOCHS = 2
BATCH_SIZE = 128
CALIB_BATCHES = 32
FUSE_LIST = [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"]]


class QuantNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = QuantStub()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu2 = nn.ReLU()
        self.fc = nn.Linear(64 * 7 * 7, 10)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool(self.relu2(self.bn2(self.conv2(x))))
        x = x.reshape(x.shape[0], -1)
        x = self.fc(x)
        return self.dequant(x)


def get_loaders():
    tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST("data", train=True, download=True, transform=tfm)
    test_set = datasets.MNIST("data", train=False, transform=tfm)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=1000)
    return train_loader, test_loader


def train_one_epoch(model, loader, optimizer, epoch, max_steps=None):
    model.train()
    for step, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 200 == 0:
            print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        if max_steps is not None and step + 1 >= max_steps:
            break


def evaluate(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(loader.dataset)


def print_size_of_model(model, label=""):
    torch.save(model.state_dict(), "temp.p")
    print(f"{label}: {os.path.getsize('temp.p') / 1e6:.2f} MB")
    os.remove("temp.p")


def post_training_quantization(float_model, calib_loader):
    model = copy.deepcopy(float_model)
    model.eval()
    model = tq.fuse_modules(model, FUSE_LIST)
    model.qconfig = tq.get_default_qconfig("x86")
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        for i, (x, _) in enumerate(calib_loader):
            model(x)
            if i + 1 >= CALIB_BATCHES:
                break
    tq.convert(model, inplace=True)
    return model


def quantization_aware_training(float_model, train_loader):
    model = copy.deepcopy(float_model)
    model.train()
    # QAT fusion keeps BN inside ConvBnReLU2d and must be done in train mode
    model = tq.fuse_modules_qat(model, FUSE_LIST)
    model.qconfig = tq.get_default_qat_qconfig("x86")
    tq.prepare_qat(model, inplace=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    for epoch in range(QAT_EPOCHS):
        train_one_epoch(model, train_loader, optimizer, epoch, max_steps=300)
        if epoch >= 1:
            model.apply(torch.ao.nn.intrinsic.qat.freeze_bn_stats)
    model.eval()
    return tq.convert(model)


if __name__ == "__main__":
    train_loader, test_loader = get_loaders()
    float_model = QuantNet()
    optimizer = torch.optim.Adam(float_model.parameters(), lr=1e-3)
    for epoch in range(EPOCHS):
        train_one_epoch(float_model, train_loader, optimizer, epoch)
    print(f"float accuracy: {evaluate(float_model, test_loader):.4f}")
    print_size_of_model(float_model, "fp32")

    ptq_model = post_training_quantization(float_model, train_loader)
    print(f"PTQ int8 accuracy: {evaluate(ptq_model, test_loader):.4f}")
    print_size_of_model(ptq_model, "int8 (PTQ)")

    qat_model = quantization_aware_training(float_model, train_loader)
    print(f"QAT int8 accuracy: {evaluate(qat_model, test_loader):.4f}")

    scripted = torch.jit.trace(qat_model, torch.randn(1, 1, 28, 28))
    torch.jit.save(scripted, "mnist_qat_int8.pt")
