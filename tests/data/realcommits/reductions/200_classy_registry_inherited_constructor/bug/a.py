import torch

from pkg import build_model

model = build_model({"name": "resnet18", "width": 3})
script = torch.jit.trace(model, torch.randn(2, 3, 8, 8))
