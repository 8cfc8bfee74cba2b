import torch

from nets import Net

models = {"small": Net(num_classes=10), "large": Net(num_classes=100)}
for name, net in models.items():
    net.load_state_dict(torch.load(f"{name}.pt"))
    net.eval()
dummy = torch.randn(1, 3, 32, 32)
torch.onnx.export(models["small"], dummy, "small.onnx")
