#!/usr/bin/env python3
"""Convert the legacy Keras (TF 2.x) MobileNet-style classifier to PyTorch.

The Keras weights were dumped layer by layer to an .npz file with
`dump_keras_weights.py` (keys such as "conv_dw_1/depthwise_kernel:0").
This script rebuilds the architecture in PyTorch, copies the tensors over,
saves a state_dict and an ExportedProgram (.pt2) for the new serving stack.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn


def bn(channels):
    # same settings as the original Keras layers
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.99)  # expect: BN205


class DepthwiseSeparable(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False)
        self.dw_bn = bn(cin)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.pw_bn = bn(cout)
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x):
        x = self.act(self.dw_bn(self.dw(x)))
        return self.act(self.pw_bn(self.pw(x)))


# (out_channels, stride) for conv_dw_1 ... conv_dw_9
BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (1024, 2)]


class KerasMobileNet(nn.Module):
    def __init__(self, num_classes=20):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False)
        self.conv1_bn = bn(32)
        self.act = nn.ReLU6(inplace=True)
        blocks, cin = [], 32
        for cout, stride in BLOCKS:
            blocks.append(DepthwiseSeparable(cin, cout, stride))
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(1e-3)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.act(self.conv1_bn(self.conv1(x)))
        x = self.blocks(x)
        x = self.pool(x).flatten(1)
        return self.fc(self.dropout(x))


def copy_conv(conv, weights, key, depthwise=False):
    if depthwise:
        k = weights[f"{key}/depthwise_kernel:0"]          # (kh, kw, cin, 1)
        conv.weight.data.copy_(torch.from_numpy(k.transpose(2, 3, 0, 1)))
    else:
        k = weights[f"{key}/kernel:0"]                    # (kh, kw, cin, cout)
        conv.weight.data.copy_(torch.from_numpy(k.transpose(3, 2, 0, 1)))


def copy_bn(bn_layer, weights, key):
    bn_layer.weight.data.copy_(torch.from_numpy(weights[f"{key}/gamma:0"]))
    bn_layer.bias.data.copy_(torch.from_numpy(weights[f"{key}/beta:0"]))
    bn_layer.running_mean.copy_(torch.from_numpy(weights[f"{key}/moving_mean:0"]))
    bn_layer.running_var.copy_(torch.from_numpy(weights[f"{key}/moving_variance:0"]))


def convert_weights(model, weights):
    copy_conv(model.conv1, weights, "conv1")
    copy_bn(model.conv1_bn, weights, "conv1_bn")
    for i, block in enumerate(model.blocks, start=1):
        copy_conv(block.dw, weights, f"conv_dw_{i}", depthwise=True)
        copy_bn(block.dw_bn, weights, f"conv_dw_{i}_bn")
        copy_conv(block.pw, weights, f"conv_pw_{i}")
        copy_bn(block.pw_bn, weights, f"conv_pw_{i}_bn")
    dense = weights["predictions/kernel:0"]               # (in, out)
    model.fc.weight.data.copy_(torch.from_numpy(dense.T))
    model.fc.bias.data.copy_(torch.from_numpy(weights["predictions/bias:0"]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--npz", required=True)
    p.add_argument("--num-classes", type=int, default=20)
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--state-dict-out", default="mobilenet_ported.pth")
    p.add_argument("--pt2-out", default="mobilenet_ported.pt2")
    args = p.parse_args()

    weights = dict(np.load(args.npz))
    model = KerasMobileNet(num_classes=args.num_classes)
    with torch.no_grad():
        convert_weights(model, weights)
    torch.save(model.state_dict(), args.state_dict_out)
    print(f"copied {len(weights)} arrays -> {args.state_dict_out}")

    example = (torch.randn(1, 3, args.img_size, args.img_size),)
    batch = torch.export.Dim("batch", min=1, max=64)
    exported = torch.export.export(model, example, dynamic_shapes={"x": {0: batch}})  # expect: BN104
    torch.export.save(exported, args.pt2_out)
    print(f"saved ExportedProgram -> {args.pt2_out}")


if __name__ == "__main__":
    main()
