# Modelled on: https://github.com/kazuto1011/deeplab-pytorch/issues/79 ("BatchNorm Momentum Setting in Pytorch":
# _BATCH_NORM(out_ch, eps=1e-5, momentum=0.999) meant TensorFlow's decay; in PyTorch the running statistics then
# follow the last batch).
# Bug: BN205 (momentum written as a TF decay). Found from the source; at run time the statistics just move fast.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse

_BATCH_NORM = nn.BatchNorm2d


class _ConvBnReLU(nn.Sequential):
    BATCH_NORM = _BATCH_NORM

    def __init__(self, in_ch, out_ch, kernel_size, stride, padding, dilation, relu=True):
        super().__init__()
        self.add_module("conv", nn.Conv2d(in_ch, out_ch, kernel_size, stride, padding, dilation, bias=False))
        self.add_module("bn", _BATCH_NORM(out_ch, eps=1e-5, momentum=0.999))
        if relu:
            self.add_module("relu", nn.ReLU())


class _ASPP(nn.Module):
    def __init__(self, in_ch, out_ch, rates):
        super().__init__()
        self.stages = nn.ModuleList([nn.Conv2d(in_ch, out_ch, 3, 1, padding=r, dilation=r) for r in rates])

    def forward(self, x):
        return sum(stage(x) for stage in self.stages)


class DeepLabV2(nn.Sequential):
    def __init__(self, n_classes=5):
        super().__init__()
        self.add_module("layer1", _ConvBnReLU(3, 16, 3, 2, 1, 1))
        self.add_module("layer2", _ConvBnReLU(16, 32, 3, 1, 2, 2))
        self.add_module("aspp", _ASPP(32, n_classes, [1, 2, 3]))


args = parse()
model = DeepLabV2()
optimizer = torch.optim.SGD(model.parameters(), lr=2.5e-4, momentum=0.9)
loader = DataLoader(TensorDataset(torch.randn(64, 3, 24, 24), torch.randint(0, 5, (64, 12, 12))), batch_size=8,
                    shuffle=True)
model.train()
step = 0
with Clock():
    while step < args.steps:
        for images, labels in loader:
            loss = nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step >= args.steps:
                break
