import torch

from nets import Normed


def to_onnx(net, name):
    torch.onnx.export(net, torch.randn(4, 8), name + ".onnx")


def run(loader):
    net = Normed()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for x, y in loader:
        torch.nn.functional.mse_loss(net(x), y).backward()
        opt.step()
    to_onnx(net, "best")
