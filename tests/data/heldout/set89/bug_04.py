# YOLO-lite export script
"""
Export a YOLO-lite PyTorch model to TorchScript / ONNX formats

Usage:
    $ python export.py --weights runs/train/exp/weights/best.pt --include torchscript onnx
"""

import argparse
import json
import logging
import time
from pathlib import Path

import torch
import torch.nn as nn

LOGGER = logging.getLogger("yolo-lite")


class Conv(nn.Module):
    def __init__(self, c1, c2, k=1, s=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=0.001, momentum=0.03)
        self.act = nn.SiLU() if act else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Detect(nn.Module):
    stride = torch.tensor([8.0, 16.0, 32.0])
    export = False

    def __init__(self, nc=80, na=3, ch=(128, 256, 512)):
        super().__init__()
        self.nc, self.na, self.no = nc, na, nc + 5
        self.m = nn.ModuleList(nn.Conv2d(x, self.no * self.na, 1) for x in ch)

    def forward(self, x):
        z = []
        for i in range(len(self.m)):
            x[i] = self.m[i](x[i])
            bs, _, ny, nx = x[i].shape
            x[i] = x[i].view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            if not self.training:
                z.append(x[i].sigmoid().view(bs, -1, self.no))
        return x if self.training else (torch.cat(z, 1),) if self.export else (torch.cat(z, 1), x)


class YoloLite(nn.Module):
    def __init__(self, nc=80, width=(32, 64, 128, 256, 512)):
        super().__init__()
        w = width
        self.stem = Conv(3, w[0], 3, 2)
        self.s1 = nn.Sequential(Conv(w[0], w[1], 3, 2), Conv(w[1], w[1], 3))
        self.s2 = nn.Sequential(Conv(w[1], w[2], 3, 2), Conv(w[2], w[2], 3))
        self.s3 = nn.Sequential(Conv(w[2], w[3], 3, 2), Conv(w[3], w[3], 3))
        self.s4 = nn.Sequential(Conv(w[3], w[4], 3, 2), Conv(w[4], w[4], 3))
        self.detect = Detect(nc, ch=(w[2], w[3], w[4]))
        self.names = [f"class{i}" for i in range(nc)]

    def forward(self, x):
        p3 = self.s2(self.s1(self.stem(x)))
        p4 = self.s3(p3)
        p5 = self.s4(p4)
        return self.detect([p3, p4, p5])


def file_size(path):
    path = Path(path)
    return path.stat().st_size / 1e6 if path.is_file() else 0.0


@torch.no_grad()
def run(weights="yolo-lite.pt", imgsz=(640, 640), batch_size=1, device="cpu",
        include=("torchscript", "onnx"), half=False, dynamic=False, opset=12, simplify=False):
    t = time.time()
    include = [x.lower() for x in include]
    file = Path(weights)
    device = torch.device(device)

    ckpt = torch.load(weights, map_location="cpu")
    model = YoloLite(nc=ckpt.get("nc", 80))
    model.load_state_dict(ckpt["model"], strict=True)
    model.to(device).float()
    im = torch.zeros(batch_size, 3, *imgsz).to(device)  # image size(1,3,320,192) BCHW iDetection

    model.eval  # expect: BN102
    for m in model.modules():
        if isinstance(m, Detect):
            m.export = True
    if half:
        im = im.half()
        model.half()

    f = [""] * 2
    if "torchscript" in include:
        LOGGER.info(f"starting export with torch {torch.__version__}...")
        f[0] = str(file.with_suffix(".torchscript"))
        ts = torch.jit.trace(model, im, strict=False)  # expect: BN104
        extra_files = {"config.txt": json.dumps({"shape": list(im.shape), "stride": 32, "names": model.names})}
        ts.save(f[0], _extra_files=extra_files)
        LOGGER.info(f"TorchScript export success, saved as {f[0]} ({file_size(f[0]):.1f} MB)")

    if "onnx" in include:
        f[1] = str(file.with_suffix(".onnx"))
        output_names = ["output0"]
        dynamic_axes = {"images": {0: "batch", 2: "height", 3: "width"},
                        "output0": {0: "batch", 1: "anchors"}} if dynamic else None
        torch.onnx.export(model, im, f[1], verbose=False, opset_version=opset, do_constant_folding=True, input_names=["images"], output_names=output_names, dynamic_axes=dynamic_axes)  # expect: BN104
        if simplify:
            try:
                import onnx
                import onnxsim
                model_onnx = onnx.load(f[1])
                model_onnx, check = onnxsim.simplify(model_onnx)
                assert check, "assert check failed"
                onnx.save(model_onnx, f[1])
            except Exception as e:
                LOGGER.info(f"simplifier failure: {e}")
        LOGGER.info(f"ONNX export success, saved as {f[1]} ({file_size(f[1]):.1f} MB)")

    f = [str(x) for x in f if x]
    LOGGER.info(f"\nExport complete ({time.time() - t:.1f}s)\nResults saved to {file.parent.resolve()}")
    return f


def parse_opt():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", type=str, default="yolo-lite.pt", help="model.pt path")
    parser.add_argument("--imgsz", "--img", "--img-size", nargs="+", type=int, default=[640, 640], help="image (h, w)")
    parser.add_argument("--batch-size", type=int, default=1, help="batch size")
    parser.add_argument("--device", default="cpu", help="cuda device, i.e. 0 or 0,1,2,3 or cpu")
    parser.add_argument("--half", action="store_true", help="FP16 half-precision export")
    parser.add_argument("--dynamic", action="store_true", help="ONNX: dynamic axes")
    parser.add_argument("--simplify", action="store_true", help="ONNX: simplify model")
    parser.add_argument("--opset", type=int, default=12, help="ONNX: opset version")
    parser.add_argument("--include", nargs="+", default=["torchscript", "onnx"], help="torchscript, onnx")
    opt = parser.parse_args()
    if len(opt.imgsz) == 1:
        opt.imgsz = opt.imgsz * 2
    return opt


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    opt = parse_opt()
    run(**vars(opt))
