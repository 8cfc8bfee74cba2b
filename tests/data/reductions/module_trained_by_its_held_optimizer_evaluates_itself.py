import torch
from torch import nn


class Base(nn.Module):
    def train_model(self, loader):
        for images, labels in loader:
            loss = nn.functional.cross_entropy(self(images), labels)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def calculate_accuracy(self):
        correct = 0
        with torch.no_grad():
            for images, labels in self.testloader:
                correct += (self(images).argmax(1) == labels).sum().item()
        return correct


class Net(Base):
    def __init__(self, testloader):
        super().__init__()
        self.testloader = testloader
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.optimizer = torch.optim.SGD(self.parameters(), lr=0.1)

    def forward(self, x):
        return self.bn(self.conv(x)).mean((2, 3))


def main(loader, testloader):
    model = Net(testloader)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        model.train_model(loader)
        print(model.calculate_accuracy())
