from torch import nn


def freeze_bn(module):
    if module.__class__.__name__.find("BatchNorm") != -1:
        module.eval()


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

    def train(self, mode=True):
        super().train(mode)
        self.apply(freeze_bn)
        return self

    def forward(self, x):
        return self.body(x)


class Trainer:
    def __init__(self, model, loss):
        self.model, self.loss = model, loss

    def train(self, loader):
        self.model.apply(freeze_bn)
        fit(loader, self.loss)


def fit(loader, loss):
    net = Backbone()
    net.apply(freeze_bn)
    for inputs in loader:
        net.train()
        loss(net(inputs[0]), inputs[1]).backward()
