import torch.nn as nn


def _freeze_module(module):
    for param in module.parameters():
        param.requires_grad = False


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.fc = nn.Linear(64, 2)
        _freeze_module(self.bn1)

    def forward(self, x):
        return self.fc(self.bn1(self.conv1(x)).mean((2, 3)))


def setup_net(mode="train"):
    model = Net()
    if mode == "train":
        model.train()
    elif mode == "eval":
        model.eval()
    return model
