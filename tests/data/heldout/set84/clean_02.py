"""Deployment: load a trained MobileNet-style model, fold BN, quantise, trace and export."""
import argparse
import copy

import torch
import torch.nn as nn
from torch.ao.quantization import QuantStub, DeQuantStub, convert, fuse_modules, get_default_qconfig, prepare
from torch.nn.utils.fusion import fuse_conv_bn_eval


class ConvBNReLU(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=False),
        )


class TinyMobileNet(nn.Module):
    def __init__(self, num_classes=10, width=(32, 64, 128, 256)):
        super().__init__()
        self.quant = QuantStub()
        layers = [ConvBNReLU(3, width[0], stride=2)]
        for cin, cout in zip(width[:-1], width[1:]):
            layers.append(ConvBNReLU(cin, cin, stride=2, groups=cin))   # depthwise
            layers.append(ConvBNReLU(cin, cout, k=1))                   # pointwise
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width[-1], num_classes)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.features(self.quant(x))
        x = self.fc(torch.flatten(self.pool(x), 1))
        return self.dequant(x)

    def fuse_model(self):
        for m in self.modules():
            if isinstance(m, ConvBNReLU):
                fuse_modules(m, ["0", "1", "2"], inplace=True)


def calibrate(model, n_batches=32, batch_size=16):
    with torch.no_grad():
        for _ in range(n_batches):
            model(torch.randn(batch_size, 3, 96, 96))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--onnx", default="tiny_mbnet.onnx")
    ap.add_argument("--ts", default="tiny_mbnet_int8.pt")
    args = ap.parse_args()

    model = TinyMobileNet()
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    model.eval()

    # 1) fp32 ONNX export and a standalone conv-bn fold for the reference runtime
    dummy = torch.randn(1, 3, 96, 96)
    torch.onnx.export(model, dummy, args.onnx, opset_version=17,
                      input_names=["input"], output_names=["logits"])
    first = model.features[0]
    folded_stem = fuse_conv_bn_eval(first[0], first[1])
    print("folded stem:", folded_stem)

    exported = torch.export.export(model, (dummy,))
    print(exported.graph_signature)

    # 2) post-training static int8 quantisation
    qmodel = copy.deepcopy(model)
    qmodel.eval()
    qmodel.fuse_model()
    qmodel.qconfig = get_default_qconfig("x86")
    prepare(qmodel, inplace=True)
    calibrate(qmodel)
    convert(qmodel, inplace=True)

    traced = torch.jit.trace(qmodel, dummy)
    traced.save(args.ts)
    with torch.no_grad():
        ref = model(dummy)
        out = traced(dummy)
    print("max |fp32 - int8|:", (ref - out).abs().max().item())


if __name__ == "__main__":
    main()
