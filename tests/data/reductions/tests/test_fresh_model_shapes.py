import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x):
        return {"logits": self.body(x)}


@torch.no_grad()
def test_net():
    model = Net()
    output = model(torch.randn(2, 3, 32, 32))
    for name, value in output.items():
        print(name, value.size())


@torch.no_grad()
def test_pretrained_net():
    model = Net()
    model.load_state_dict(torch.load("net.pt"))
    output = model(torch.randn(2, 3, 32, 32))
    print(output["logits"].argmax(1))
