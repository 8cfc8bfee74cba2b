"""
Lab 7: post-training static quantization of a small MNIST CNN.

Steps (from the course handout):
  1. train the float model for a few epochs
  2. fuse conv+bn+relu
  3. insert observers, calibrate on a few batches, convert to int8
  4. compare size / accuracy of the float and int8 models
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import QuantStub, DeQuantStub
import torch.ao.quantization as tq
from torchvision import datasets, transforms

EPOCHS = 3
BATCH_SIZE = 128
CALIB_BATCHES = 32


class QuantNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = QuantStub()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)  # expect: BN201
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


def train_one_epoch(model, loader, optimizer, epoch):
    model.train()
    for step, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 200 == 0:
            print(f"epoch {epoch} step {step} loss {loss.item():.4f}")


def evaluate(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(loader.dataset)


def print_size_of_model(model, label=""):
    torch.save(model.state_dict(), "temp.p")
    size = os.path.getsize("temp.p") / 1e6
    print(f"{label}: {size:.2f} MB")
    os.remove("temp.p")


if __name__ == "__main__":
    train_loader, test_loader = get_loaders()
    model = QuantNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    # 1. train in float
    for epoch in range(EPOCHS):
        train_one_epoch(model, train_loader, optimizer, epoch)
    torch.save(model.state_dict(), "float_model.pt")

    # 2. fuse conv + bn + relu
    model = tq.fuse_modules(model, [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"]])  # expect: BN104

    # 3. observers + calibration + conversion
    model.eval()
    model.qconfig = tq.get_default_qconfig("x86")
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        for i, (x, _) in enumerate(train_loader):
            model(x)
            if i + 1 >= CALIB_BATCHES:
                break
    tq.convert(model, inplace=True)

    # 4. compare
    print_size_of_model(model, "int8")
    print(f"int8 accuracy: {evaluate(model, test_loader):.4f}")
