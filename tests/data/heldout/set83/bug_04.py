"""
export_densevnet.py

The abdominal multi-organ DenseVNet was originally trained in Keras (NiftyNet port).
Weights were converted with convert_keras_weights.py into a PyTorch state_dict; this
script rebuilds the network in PyTorch and exports TorchScript + ONNX for the
hospital inference server (Triton).

    python export_densevnet.py --weights densevnet_converted.pt --out deploy/
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn_relu(cin, cout, k=3, dilation=1):
    pad = dilation * (k // 2)
    return nn.Sequential(
        nn.Conv3d(cin, cout, k, padding=pad, dilation=dilation, bias=False),
        # Keras BatchNormalization defaults
        nn.BatchNorm3d(cout, eps=1e-3, momentum=0.99),  # expect: BN205
        nn.ReLU(inplace=True),
    )


class DenseFeatureStack(nn.Module):
    def __init__(self, cin, growth, n_layers, dilations):
        super().__init__()
        self.layers = nn.ModuleList()
        ch = cin
        for i in range(n_layers):
            self.layers.append(conv_bn_relu(ch, growth, dilation=dilations[i % len(dilations)]))
            ch += growth
        self.out_channels = ch

    def forward(self, x):
        feats = [x]
        for layer in self.layers:
            feats.append(layer(torch.cat(feats, 1)))
        return torch.cat(feats, 1)


class DenseVNet(nn.Module):
    def __init__(self, in_ch=1, n_classes=9):
        super().__init__()
        self.init_conv = nn.Conv3d(in_ch, 24, 5, stride=2, padding=2, bias=False)
        self.init_bn = nn.BatchNorm3d(24)
        self.block1 = DenseFeatureStack(24, 4, 5, (1, 3, 5, 9, 9))
        self.down1 = conv_bn_relu(self.block1.out_channels, 24)
        self.block2 = DenseFeatureStack(24, 8, 10, (1, 3, 5, 9, 9))
        self.down2 = conv_bn_relu(self.block2.out_channels, 24)
        self.block3 = DenseFeatureStack(24, 16, 10, (1, 3, 5, 9, 9))
        self.skip1 = conv_bn_relu(self.block1.out_channels, 12)
        self.skip2 = conv_bn_relu(self.block2.out_channels, 24)
        self.skip3 = conv_bn_relu(self.block3.out_channels, 24)
        self.classifier = nn.Conv3d(12 + 24 + 24, n_classes, 1)

    def forward(self, x):
        size = x.shape[2:]
        x = F.relu(self.init_bn(self.init_conv(x)), inplace=True)
        b1 = self.block1(x)
        b2 = self.block2(F.max_pool3d(self.down1(b1), 2))
        b3 = self.block3(F.max_pool3d(self.down2(b2), 2))
        s1 = self.skip1(b1)
        s2 = F.interpolate(self.skip2(b2), size=s1.shape[2:], mode="trilinear", align_corners=False)
        s3 = F.interpolate(self.skip3(b3), size=s1.shape[2:], mode="trilinear", align_corners=False)
        logits = self.classifier(torch.cat([s1, s2, s3], 1))
        return F.interpolate(logits, size=size, mode="trilinear", align_corners=False)


ORGANS = ["background", "spleen", "left_kidney", "gallbladder", "esophagus",
          "liver", "stomach", "pancreas", "duodenum"]


def get_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--out", default="deploy")
    ap.add_argument("--size", type=int, nargs=3, default=[144, 144, 144])
    ap.add_argument("--opset", type=int, default=17)
    return ap.parse_args()


def main():
    args = get_args()
    os.makedirs(args.out, exist_ok=True)

    model = DenseVNet(in_ch=1, n_classes=len(ORGANS))
    state = torch.load(args.weights, map_location="cpu")
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        print("missing:", missing)
        print("unexpected:", unexpected)

    example = torch.randn(1, 1, *args.size)

    traced = torch.jit.trace(model, example)  # expect: BN104
    traced.save(os.path.join(args.out, "densevnet.ts"))

    onnx_path = os.path.join(args.out, "densevnet.onnx")
    torch.onnx.export(  # expect: BN104
        model,
        example,
        onnx_path,
        opset_version=args.opset,
        input_names=["ct"],
        output_names=["logits"],
        dynamic_axes={"ct": {0: "batch"}, "logits": {0: "batch"}},
    )
    with open(os.path.join(args.out, "labels.txt"), "w") as f:
        f.write("\n".join(ORGANS))
    print("exported to", args.out)


if __name__ == "__main__":
    main()
