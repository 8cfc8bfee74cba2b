import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        return self.bn(x)


def unwrap(model):
    return model.module if isinstance(model, nn.DataParallel) else model


class BaseTrainer:
    def __init__(self, loaders):
        self.model = Net()
        self.train_loader, self.test_loader = loaders
