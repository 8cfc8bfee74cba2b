"""Export a trained MobileNet-style classifier to ONNX / TorchScript / fused eager.

    python clean_13.py onnx        --ckpt best.pt --out model.onnx --dynamic
    python clean_13.py torchscript --ckpt best.pt --out model.ts
    python clean_13.py fuse        --ckpt best.pt --out model_fused.pt
"""
import argparse
import sys

import torch
import torch.nn as nn
from torch.ao.quantization import fuse_modules


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel=3, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=False),
        )


class InvertedResidual(nn.Module):
    def __init__(self, in_ch, out_ch, stride, expand):
        super().__init__()
        hidden = in_ch * expand
        self.use_res = stride == 1 and in_ch == out_ch
        self.conv = nn.Sequential(
            ConvBNReLU(in_ch, hidden, 1),
            ConvBNReLU(hidden, hidden, 3, stride, groups=hidden),
            nn.Conv2d(hidden, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch),
        )

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetLite(nn.Module):
    CFG = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2)]

    def __init__(self, num_classes=1000):
        super().__init__()
        layers, in_ch = [ConvBNReLU(3, 32, stride=2)], 32
        for t, c, n, s in self.CFG:
            for i in range(n):
                layers.append(InvertedResidual(in_ch, c, s if i == 0 else 1, t))
                in_ch = c
        layers.append(ConvBNReLU(in_ch, 1280, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))

    def fuse(self):
        if self.training:
            raise RuntimeError("conv-bn fusion needs the model in eval mode")
        for m in list(self.modules()):
            if isinstance(m, ConvBNReLU):
                fuse_modules(m, [["0", "1", "2"]], inplace=True)
            elif isinstance(m, InvertedResidual):
                fuse_modules(m.conv, [["2", "3"]], inplace=True)
        return self


def load_for_export(ckpt_path: str, num_classes: int) -> nn.Module:
    model = MobileNetLite(num_classes)
    state = torch.load(ckpt_path, map_location="cpu")
    state = state.get("ema", state.get("model", state))
    model.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
    model.train(mode=False)
    return model


@torch.no_grad()
def check_close(reference: nn.Module, candidate, example: torch.Tensor, atol=1e-4):
    ref_out = reference(example)
    out = candidate(example)
    err = (ref_out - out).abs().max().item()
    print(f"max abs diff vs eager: {err:.2e}")
    if err > atol:
        sys.exit(f"exported model deviates from eager model by {err:.2e}")


def export_onnx(model, example, out, dynamic, opset):
    torch.onnx.export(
        model, example, out,
        input_names=["images"], output_names=["logits"], opset_version=opset,
        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}} if dynamic else None,
        do_constant_folding=True,
    )
    print(f"wrote {out}")


def export_torchscript(model, example, out):
    traced = torch.jit.trace(model, example)
    traced = torch.jit.freeze(traced)
    check_close(model, traced, example)
    traced.save(out)
    print(f"wrote {out}")


def export_fused(model, example, out):
    reference = load_for_export(ARGS.ckpt, ARGS.num_classes)
    fused = model.fuse()
    check_close(reference, fused, example)
    torch.save(fused, out)
    print(f"wrote {out}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("format", choices=["onnx", "torchscript", "fuse"])
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--num-classes", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=1, help="batch size of the example input")
    parser.add_argument("--img-size", type=int, default=224)
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--dynamic", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    ARGS = parse_args()
    net = load_for_export(ARGS.ckpt, ARGS.num_classes)
    dummy = torch.randn(ARGS.batch_size, 3, ARGS.img_size, ARGS.img_size)
    if ARGS.format == "onnx":
        export_onnx(net, dummy, ARGS.out, ARGS.dynamic, ARGS.opset)
    elif ARGS.format == "torchscript":
        export_torchscript(net, dummy, ARGS.out)
    else:
        export_fused(net, dummy, ARGS.out)
