"""Prepare a MobileNet-like model for deployment: fuse, quantize, trace and export."""
import argparse
import copy

import torch
import torch.nn as nn
from torch.ao.quantization import fuse_modules


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel=3, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=False),
        )


class MobileNetLite(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        cfg = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 512, 2)]
        layers = [ConvBNReLU(3, 32, stride=2)]
        for cin, cout, s in cfg:
            layers.append(ConvBNReLU(cin, cin, stride=s, groups=cin))
            layers.append(ConvBNReLU(cin, cout, kernel=1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))

    def fuse_model(self):
        for m in self.modules():
            if isinstance(m, ConvBNReLU):
                fuse_modules(m, ["0", "1", "2"], inplace=True)


def load(path, num_classes):
    model = MobileNetLite(num_classes)
    ckpt = torch.load(path, map_location="cpu")
    model.load_state_dict(ckpt.get("model", ckpt))
    return model


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--onnx", default="mobilenet_lite.onnx")
    p.add_argument("--torchscript", default="mobilenet_lite.pt")
    args = p.parse_args()

    model = load(args.checkpoint, args.num_classes)
    model.train(False)
    example = torch.randn(1, 3, args.size, args.size)

    torch.onnx.export(model, example, args.onnx, opset_version=17,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})

    fused = copy.deepcopy(model)
    fused.eval()
    fused.fuse_model()
    with torch.no_grad():
        diff = (fused(example) - model(example)).abs().max().item()
    print(f"max abs diff after fusion: {diff:.2e}")

    traced = torch.jit.trace(fused, example)
    traced.save(args.torchscript)

    q = torch.ao.quantization.quantize_dynamic(copy.deepcopy(fused), {nn.Linear}, dtype=torch.qint8)
    torch.jit.save(torch.jit.script(q), args.torchscript.replace(".pt", "_int8.pt"))
    print("done")


if __name__ == "__main__":
    main()
