import torch


def wrap_layers(net, wrapper, shape):
    z = torch.rand(shape)
    expected = net(z)
    for name, child in net.named_children():
        setattr(net, name, wrapper(child))
    return expected
