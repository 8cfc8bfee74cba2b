import torch
import torch.nn as nn

net = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))
torch.onnx.export(net, args=torch.randn(4, 8), f="net.onnx")
