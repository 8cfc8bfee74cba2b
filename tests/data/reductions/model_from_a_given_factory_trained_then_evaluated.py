import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x)).mean((2, 3))


def test(model_maker, input_train, target_train, input_test, epochs=10):
    model = model_maker()
    optimizer = torch.optim.Adam(model.parameters())
    criterion = nn.CrossEntropyLoss()
    for e in range(epochs):
        for x, y in zip(input_train.split(100), target_train.split(100)):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        return model(input_test).argmax(1)


def main(data):
    for maker in [Net, lambda: Net()]:
        test(maker, *data)
