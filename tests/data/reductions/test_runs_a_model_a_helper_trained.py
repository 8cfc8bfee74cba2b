import pytest
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3, bias=False)
        self.bn = nn.BatchNorm2d(1)

    def forward(self, x):
        return self.bn(self.conv(x))


def train(x, model):
    model.train()
    opt = torch.optim.Adam(model.parameters())
    for _ in range(10):
        loss = model(x).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("model", [Net()])
def test_model(model):
    x = torch.tensor(load_image())
    train(x, model)
    denoised = model(x)
    assert ssim(denoised, x) > 0.46
