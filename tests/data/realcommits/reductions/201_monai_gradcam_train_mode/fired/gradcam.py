import torch
import torch.nn as nn

model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
model.load_state_dict(torch.load("w.pt"))
for x in [torch.randn(2, 3, 8, 8, requires_grad=True)]:
    logits = model(x)  # saliency forward, still in training mode
    saliency = x.grad.abs()
