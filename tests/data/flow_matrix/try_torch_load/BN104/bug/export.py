import torch

from nets import Net

model = Net(num_classes=10)
try:
    model = torch.load("checkpoints/last.pth")
except FileNotFoundError:
    pass

dummy = torch.randn(1, 3, 32, 32)
torch.onnx.export(model, dummy, "net.onnx", input_names=["image"])
