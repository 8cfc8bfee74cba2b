import torch.nn as nn
from trainer import Trainer


class MyTrainer(Trainer):
    def __init__(self, *args):
        super().__init__(*args)
        self.criterion = nn.CrossEntropyLoss()

    def get_loss_and_backward(self, batch):
        x, y = batch
        loss = self.criterion(self.model(x), y)
        loss.backward()

    def evaluate(self, batch):
        x, y = batch
        return self.criterion(self.model(x), y)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))
