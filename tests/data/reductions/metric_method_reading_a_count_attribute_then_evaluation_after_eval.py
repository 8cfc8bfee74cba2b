import torch
import torch.nn as nn


class SegNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(8)
        self.class_nb = 8

    def forward(self, x):
        return self.bn(x)

    def compute_miou(self, x_pred, x_output):
        for j in range(self.class_nb):
            pass
        return x_pred


net = SegNet()
net.compute_miou(torch.randn(2, 8, 4, 4), None)
net.eval()
with torch.no_grad():
    test_pred = net(torch.randn(2, 8, 4, 4))
