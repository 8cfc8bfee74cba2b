import torch

from nets import Net
from utils import logged


@logged
def export(model, path):
    torch.onnx.export(model, torch.randn(1, 3, 32, 32), path)


if __name__ == "__main__":
    net = Net()
    net.load_state_dict(torch.load("net.pt"))
    net.eval()
    export(net, "net.onnx")
