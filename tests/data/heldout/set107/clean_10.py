"""Fold every Conv2d+BatchNorm2d pair of the RepVGG-style model into a single
conv before export to the DSP runtime (which has no BN kernel).

Two implementations are kept: our own (handles grouped convs and dilations)
and torch.nn.utils.fusion.fuse_conv_bn_eval as a cross-check.
"""
import argparse
import copy

import torch
import torch.nn as nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


class ConvBNAct(nn.Module):
    def __init__(self, cin, cout, k=3, stride=1, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class PostActBlock(nn.Module):
    """Conv -> ReLU -> BN ordering used in the original 2016 release; the conv
    keeps its bias because the ReLU sits between it and the BN."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.act = nn.ReLU(inplace=True)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.act(self.conv(x)))


class DSPNet(nn.Module):
    def __init__(self, num_classes=20):
        super().__init__()
        self.features = nn.Sequential(
            ConvBNAct(3, 32, stride=2),
            ConvBNAct(32, 32, groups=32),
            ConvBNAct(32, 64, k=1),
            PostActBlock(64, 64),
            ConvBNAct(64, 128, stride=2),
            ConvBNAct(128, 128, groups=128),
            ConvBNAct(128, 256, k=1),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


@torch.no_grad()
def fuse_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    fused = nn.Conv2d(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size,
        conv.stride,
        conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=True,
    ).to(conv.weight.device)
    std = (bn.running_var + bn.eps).sqrt()
    scale = bn.weight / std
    fused.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
    conv_bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias.copy_((conv_bias - bn.running_mean) * scale + bn.bias)
    return fused


def fuse_model(model: nn.Module) -> nn.Module:
    """Fuse in place. The caller is responsible for putting the model in eval mode."""
    if model.training:
        raise RuntimeError("fuse_model() expects a model in eval mode")
    for module in model.modules():
        if isinstance(module, ConvBNAct):
            module.conv = fuse_conv_bn(module.conv, module.bn)
            module.bn = nn.Identity()
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default="dspnet.pth")
    parser.add_argument("--out", default="dspnet_fused.pth")
    args = parser.parse_args()

    model = DSPNet()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()

    reference = copy.deepcopy(model)

    # cross-check the hand-written fusion against PyTorch's helper on the first block
    first = model.features[0]
    torch_fused = fuse_conv_bn_eval(first.conv, first.bn)
    ours = fuse_conv_bn(first.conv, first.bn)
    assert torch.allclose(torch_fused.weight, ours.weight, atol=1e-6)
    assert torch.allclose(torch_fused.bias, ours.bias, atol=1e-6)

    fuse_model(model)

    x = torch.randn(8, 3, 224, 224)
    with torch.no_grad():
        diff = (reference(x) - model(x)).abs().max().item()
    print(f"max abs difference after folding: {diff:.3e}")
    n_bn = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    print(f"BatchNorm layers left: {n_bn} (PostActBlock keeps its BN)")
    torch.save(model.state_dict(), args.out)


if __name__ == "__main__":
    main()
