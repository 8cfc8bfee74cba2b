"""Export a trained segmentation model to ONNX for deployment."""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn_relu(in_ch, out_ch, stride=1):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class TinySegNet(nn.Module):
    def __init__(self, num_classes=21):
        super().__init__()
        self.enc1 = conv_bn_relu(3, 32, stride=2)
        self.enc2 = conv_bn_relu(32, 64, stride=2)
        self.enc3 = conv_bn_relu(64, 128, stride=2)
        self.dec2 = conv_bn_relu(128 + 64, 64)
        self.dec1 = conv_bn_relu(64 + 32, 32)
        self.classifier = nn.Conv2d(32, num_classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        d2 = self.dec2(torch.cat([F.interpolate(e3, size=e2.shape[-2:], mode="bilinear",
                                                align_corners=False), e2], dim=1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, size=e1.shape[-2:], mode="bilinear",
                                                align_corners=False), e1], dim=1))
        out = self.classifier(d1)
        return F.interpolate(out, size=size, mode="bilinear", align_corners=False)


def load_checkpoint(path, num_classes):
    model = TinySegNet(num_classes=num_classes)
    state = torch.load(path, map_location="cpu")
    if "state_dict" in state:
        state = state["state_dict"]
    state = {k.replace("module.", "", 1): v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        print(f"missing={missing} unexpected={unexpected}")
    return model


def main():
    parser = argparse.ArgumentParser(description="ONNX export")
    parser.add_argument("checkpoint")
    parser.add_argument("--num-classes", type=int, default=21)
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--out", default="segnet.onnx")
    args = parser.parse_args()

    model = load_checkpoint(args.checkpoint, args.num_classes)
    dummy = torch.randn(1, 3, args.height, args.width)

    torch.onnx.export(  # expect: BN104
        model,
        dummy,
        args.out,
        opset_version=args.opset,
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        do_constant_folding=True,
    )
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
