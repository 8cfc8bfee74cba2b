import torch
from pkg import build_model, ResNet
model = build_model({"name": "resnet"})
script = torch.jit.trace(model, torch.randn(2, 3, 8, 8))
