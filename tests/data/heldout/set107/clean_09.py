"""Benchmark training-step and inference throughput of the segmentation head
on the current GPU, for the hardware-sizing spreadsheet.
"""
import argparse
import json
import platform
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULTS = {"batch_size": 32, "height": 512, "width": 512, "num_classes": 19, "iters": 50, "warmup": 10}


class ASPPConv(nn.Sequential):
    def __init__(self, in_channels, out_channels, dilation):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class ASPPPooling(nn.Sequential):
    def __init__(self, in_channels, out_channels):
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x):
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class SegHead(nn.Module):
    def __init__(self, in_channels=3, width=64, out_channels=256, num_classes=19, rates=(6, 12, 18)):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, stride=4, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        branches = [nn.Sequential(nn.Conv2d(width, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU())]
        branches += [ASPPConv(width, out_channels, r) for r in rates]
        branches.append(ASPPPooling(width, out_channels))
        self.branches = nn.ModuleList(branches)
        self.project = nn.Sequential(
            nn.Conv2d(len(branches) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(0.1),
        )
        self.classifier = nn.Conv2d(out_channels, num_classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        feats = self.encoder(x)
        feats = self.project(torch.cat([b(feats) for b in self.branches], dim=1))
        return F.interpolate(self.classifier(feats), size=size, mode="bilinear", align_corners=False)


def timed(fn, iters, warmup, device):
    for _ in range(warmup):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / iters


def bench_train(model, cfg, device):
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(cfg["batch_size"], 3, cfg["height"], cfg["width"], device=device)
    y = torch.randint(0, cfg["num_classes"], (cfg["batch_size"], cfg["height"], cfg["width"]), device=device)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return timed(step, cfg["iters"], cfg["warmup"], device)


def bench_infer(model, cfg, device, batch_size):
    model.train(False)
    x = torch.randn(batch_size, 3, cfg["height"], cfg["width"], device=device)

    def step():
        with torch.inference_mode():
            model(x)

    return timed(step, cfg["iters"], cfg["warmup"], device)


def main():
    parser = argparse.ArgumentParser()
    for k, v in DEFAULTS.items():
        parser.add_argument(f"--{k.replace('_', '-')}", type=type(v), default=v)
    parser.add_argument("--infer-batch-sizes", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--json", default=None)
    cfg = vars(parser.parse_args())

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True
    model = SegHead(num_classes=cfg["num_classes"]).to(device)

    results = {"device": torch.cuda.get_device_name() if device.type == "cuda" else platform.processor()}
    t = bench_train(model, cfg, device)
    results["train_img_per_s"] = cfg["batch_size"] / t
    for bs in cfg["infer_batch_sizes"]:
        t = bench_infer(model, cfg, device, bs)
        results[f"infer_bs{bs}_ms"] = t * 1000
    print(json.dumps(results, indent=2))
    if cfg["json"]:
        with open(cfg["json"], "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
