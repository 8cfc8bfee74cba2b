import torch

from models import ResNet8

model = ResNet8(num_classes=10)
model.load_state_dict(torch.load("checkpoints/best.pt", map_location="cpu"))
example = torch.randn(1, 3, 32, 32)
traced = torch.jit.trace(model, example)
traced.save("resnet8.ts")
