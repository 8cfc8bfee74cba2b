import torch

from nets import from_checkpoint


def trace_and_save(path, out):
    net = from_checkpoint(path)
    traced = torch.jit.trace(net, torch.randn(4, 8))
    torch.jit.save(traced, out)
