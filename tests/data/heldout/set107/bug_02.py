# trace_unet.py -- convert the road segmentation model to TorchScript for the C++ runtime
import argparse
import json
from pathlib import Path

import torch
from torch import nn


class DoubleConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.net(x)


class TinyUNet(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.enc1 = DoubleConv(3, 32)
        self.enc2 = DoubleConv(32, 64)
        self.pool = nn.MaxPool2d(2)
        self.bottleneck_conv = nn.Conv2d(64, 128, 3, padding=1, bias=False)
        self.bottleneck_bn = nn.BatchNorm2d(128, 0.9)  # expect: BN206
        self.up1 = nn.ConvTranspose2d(128, 64, 2, stride=2)
        self.dec1 = DoubleConv(128, 64)
        self.up2 = nn.ConvTranspose2d(64, 32, 2, stride=2)
        self.dec2 = DoubleConv(64, 32)
        self.out = nn.Conv2d(32, n_classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        b = torch.relu(self.bottleneck_bn(self.bottleneck_conv(self.pool(e2))))
        d1 = self.dec1(torch.cat([self.up1(b), e2], dim=1))
        d2 = self.dec2(torch.cat([self.up2(d1), e1], dim=1))
        return self.out(d2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", type=Path, default=Path("checkpoints/unet_last.pt"))
    parser.add_argument("--output", type=Path, default=Path("deploy/unet_traced.pt"))
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--num-classes", type=int, default=3)
    args = parser.parse_args()

    model = TinyUNet(n_classes=args.num_classes)
    state = torch.load(args.weights, map_location="cpu")
    model.load_state_dict(state["state_dict"])
    print(f"loaded {args.weights} ({sum(p.numel() for p in model.parameters()) / 1e6:.2f}M params)")

    example = torch.rand(1, 3, args.size, args.size)
    with torch.no_grad():
        ref = model(example)  # expect: BN101
    print("reference output:", tuple(ref.shape), "mean logit", float(ref.mean()))

    traced = torch.jit.trace(model, example)  # expect: BN104
    args.output.parent.mkdir(parents=True, exist_ok=True)
    traced.save(str(args.output))

    meta = {"input_size": args.size, "num_classes": args.num_classes, "source": str(args.weights)}
    args.output.with_suffix(".json").write_text(json.dumps(meta, indent=2))
    print("saved", args.output)


if __name__ == "__main__":
    main()
