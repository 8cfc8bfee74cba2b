import torch

from nets import Normed, to_onnx


def run(loader):
    net = Normed()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for x, y in loader:
        torch.nn.functional.mse_loss(net(x), y).backward()
        opt.step()
    to_onnx(net, "best")
