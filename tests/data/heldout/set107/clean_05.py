"""exporters.py-style script: one entry point, three deployment formats.

    python export_all.py --ckpt runs/pose/last.pt --formats onnx torchscript pt2
"""
import argparse
import logging
import time
from pathlib import Path

import torch
import torch.nn as nn

LOGGER = logging.getLogger("export")
INPUT_SHAPE = (1, 3, 256, 192)


class Stage(nn.Module):
    def __init__(self, cin, cout, n=2):
        super().__init__()
        layers = []
        for i in range(n):
            layers += [
                nn.Conv2d(cin if i == 0 else cout, cout, 3, stride=2 if i == 0 else 1, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


class SimplePose(nn.Module):
    """Tiny SimpleBaseline-style keypoint network (17 COCO joints)."""

    def __init__(self, num_joints=17):
        super().__init__()
        self.encoder = nn.Sequential(Stage(3, 32), Stage(32, 64), Stage(64, 128), Stage(128, 256))
        deconv = []
        cin = 256
        for _ in range(3):
            deconv += [
                nn.ConvTranspose2d(cin, 128, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(128),
                nn.ReLU(inplace=True),
            ]
            cin = 128
        self.decoder = nn.Sequential(*deconv)
        self.final = nn.Conv2d(128, num_joints, 1)

    def forward(self, x):
        return self.final(self.decoder(self.encoder(x)))


def export_onnx(model, im, file, opset=17, dynamic=False):
    axes = {"images": {0: "batch"}, "heatmaps": {0: "batch"}} if dynamic else None
    torch.onnx.export(model, im, str(file), opset_version=opset, input_names=["images"], output_names=["heatmaps"], dynamic_axes=axes)
    return file


def export_torchscript(model, im, file):
    ts = torch.jit.trace(model, im, strict=False)
    ts.save(str(file))
    return file


def export_pt2(model, im, file):
    program = torch.export.export(model, (im,))
    torch.export.save(program, str(file))
    return file


EXPORTERS = {
    "onnx": (export_onnx, ".onnx"),
    "torchscript": (export_torchscript, ".torchscript"),
    "pt2": (export_pt2, ".pt2"),
}


def run(ckpt, formats, dynamic=False):
    model = SimplePose()
    ckpt_data = torch.load(ckpt, map_location="cpu")
    model.load_state_dict(ckpt_data["ema"] if ckpt_data.get("ema") else ckpt_data["model"])
    model.eval()
    for p in model.parameters():
        p.requires_grad = False

    im = torch.zeros(*INPUT_SHAPE)
    with torch.no_grad():
        for _ in range(2):  # dry runs
            y = model(im)
    LOGGER.info("output shape %s", tuple(y.shape))

    outputs = []
    for fmt in formats:
        fn, suffix = EXPORTERS[fmt]
        t = time.time()
        f = Path(ckpt).with_suffix(suffix)
        if fmt == "onnx":
            outputs.append(fn(model, im, f, dynamic=dynamic))
        else:
            outputs.append(fn(model, im, f))
        LOGGER.info("%s export done in %.1fs -> %s", fmt, time.time() - t, f)
    return outputs


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--formats", nargs="+", default=["onnx"], choices=sorted(EXPORTERS))
    parser.add_argument("--dynamic", action="store_true")
    opt = parser.parse_args()
    run(opt.ckpt, opt.formats, opt.dynamic)
