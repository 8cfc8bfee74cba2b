import torch
import torch.nn as nn


class Normed(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(8)


def to_onnx(net, name):
    torch.onnx.export(net, torch.randn(4, 8), name + ".onnx")
