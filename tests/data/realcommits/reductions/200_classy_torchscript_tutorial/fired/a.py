import torch
from pkg import build_model, ResNet
model = ResNet.from_config({"name": "resnet"})
script = torch.jit.trace(model, torch.randn(2, 3, 8, 8))
