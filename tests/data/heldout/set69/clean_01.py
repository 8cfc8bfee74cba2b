"""ResNet-50-style training on Tiny-ImageNet (64x64, 200 classes) with export.

    python clean_01.py --data /data/tiny-imagenet-200 --epochs 90
    python clean_01.py --data /data/tiny-imagenet-200 --sanity-overfit   # quick pipeline check

After training, the best checkpoint is evaluated with flip TTA, benchmarked
for single-image latency and exported to ONNX.
"""
import argparse
import functools
import json
import logging
import os
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
import torchvision
import torchvision.transforms as T

logger = logging.getLogger("tin")

NUM_CLASSES = 200
SANITY_SAMPLES = 257
SANITY_BATCH = 32


def conv3x3(cin, cout, stride=1, groups=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = norm_layer(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = norm_layer(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), num_classes=NUM_CLASSES, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or functools.partial(nn.BatchNorm2d, momentum=0.01)
        self._norm_layer = norm_layer
        self.inplanes = 64
        # 64x64 inputs: a 3x3 stem without max-pool keeps enough resolution.
        self.stem = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1, bias=True),
            nn.BatchNorm2d(32, affine=False),
            nn.ReLU(inplace=True),
            conv3x3(32, 64),
            nn.BatchNorm2d(64, 1e-3),
            nn.ReLU(inplace=True),
        )
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * Bottleneck.expansion, stride),
                norm_layer(planes * Bottleneck.expansion),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample, norm_layer)]
        self.inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(self.dropout(x))


class Throughput:
    def __init__(self):
        self.samples = 0
        self.start = time.perf_counter()

    def add(self, n):
        self.samples += n

    @property
    def per_second(self):
        return self.samples / max(1e-6, time.perf_counter() - self.start)


def topk_correct(logits, targets, ks=(1, 5)):
    maxk = max(ks)
    _, pred = logits.topk(maxk, 1)
    hits = pred.eq(targets.view(-1, 1))
    return [hits[:, :k].any(dim=1).sum().item() for k in ks]


def validate(model, loader, device):
    model.eval()
    c1 = c5 = n = 0
    with torch.no_grad():
        for images, targets in loader:
            images, targets = images.to(device), targets.to(device)
            a, b = topk_correct(model(images), targets)
            c1 += a
            c5 += b
            n += targets.size(0)
    model.train()
    return 100.0 * c1 / max(1, n), 100.0 * c5 / max(1, n)


def tta_predict(model, images):
    logits = model(images)
    logits = logits + model(torch.flip(images, dims=[3]))
    return logits / 2


def benchmark_latency(model, device, runs=50):
    loader = DataLoader(TensorDataset(torch.randn(runs, 3, 64, 64)), batch_size=1)
    timings = []
    with torch.inference_mode():
        for (x,) in loader:
            x = x.to(device)
            t0 = time.perf_counter()
            model(x)
            if device.type == "cuda":
                torch.cuda.synchronize()
            timings.append(time.perf_counter() - t0)
    timings.sort()
    return {"p50_ms": 1000 * timings[len(timings) // 2], "p90_ms": 1000 * timings[int(len(timings) * 0.9)]}


def get_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("runs/tin_r50"))
    ap.add_argument("--epochs", type=int, default=90)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.2)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--sanity-overfit", action="store_true")
    ap.add_argument("--print-freq", type=int, default=100)
    return ap.parse_args()


def build_data(args):
    normalize = T.Normalize([0.480, 0.448, 0.398], [0.277, 0.269, 0.282])
    train_tf = T.Compose([T.RandomResizedCrop(64, scale=(0.3, 1.0)), T.RandomHorizontalFlip(),
                          T.ColorJitter(0.3, 0.3, 0.3), T.ToTensor(), normalize])
    val_tf = T.Compose([T.ToTensor(), normalize])
    if args.sanity_overfit:
        xs = torch.randn(SANITY_SAMPLES, 3, 64, 64)
        ys = torch.randint(0, NUM_CLASSES, (SANITY_SAMPLES,))
        train_set = TensorDataset(xs, ys)
        val_set = TensorDataset(xs, ys)
        train_loader = DataLoader(train_set, batch_size=SANITY_BATCH, shuffle=True, drop_last=True)
        val_loader = DataLoader(val_set, batch_size=SANITY_BATCH, shuffle=False)
        return train_loader, val_loader
    train_set = torchvision.datasets.ImageFolder(args.data / "train", train_tf)
    val_set = torchvision.datasets.ImageFolder(args.data / "val", val_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=args.batch_size, shuffle=False, num_workers=args.workers, pin_memory=True)
    return train_loader, val_loader


def main():
    args = get_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname).1s %(message)s",
                        handlers=[logging.StreamHandler(), logging.FileHandler(args.out / "train.log")])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader, val_loader = build_data(args)

    model = ResNet().to(device).to(memory_format=torch.channels_last)
    params_bn = [p for n, p in model.named_parameters() if p.ndim == 1]
    params_w = [p for n, p in model.named_parameters() if p.ndim > 1]
    optimizer = torch.optim.SGD([{"params": params_w, "weight_decay": args.wd},
                                 {"params": params_bn, "weight_decay": 0.0}],
                                lr=args.lr, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                    steps_per_epoch=len(train_loader), pct_start=0.1)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

    best_top1 = 0.0
    history = []
    model.train()
    for epoch in range(args.epochs):
        meter = Throughput()
        loss_sum = 0.0
        for i, (images, targets) in enumerate(train_loader):
            images = images.to(device, non_blocking=True).to(memory_format=torch.channels_last)
            targets = targets.to(device, non_blocking=True)
            loss = criterion(model(images), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_sum += loss.item()
            meter.add(images.size(0))
            if i % args.print_freq == 0:
                logger.info("epoch %d [%d/%d] loss %.4f (%.0f img/s) lr %.4f", epoch, i, len(train_loader),
                            loss.item(), meter.per_second, scheduler.get_last_lr()[0])

        top1, top5 = validate(model, val_loader, device)
        history.append({"epoch": epoch, "loss": loss_sum / len(train_loader), "top1": top1, "top5": top5})
        logger.info("epoch %d: val top1 %.2f top5 %.2f", epoch, top1, top5)
        if top1 > best_top1:
            best_top1 = top1
            torch.save({"model": model.state_dict(), "epoch": epoch, "top1": top1}, args.out / "best.pth")

    (args.out / "history.json").write_text(json.dumps(history, indent=2))
    if args.sanity_overfit:
        logger.info("sanity overfit finished: final top1 %.2f", history[-1]["top1"])
        return

    state = torch.load(args.out / "best.pth", map_location=device)
    model.load_state_dict(state["model"])
    model.eval()
    c1 = n = 0
    with torch.no_grad():
        for images, targets in val_loader:
            images, targets = images.to(device), targets.to(device)
            c1 += tta_predict(model, images).argmax(1).eq(targets).sum().item()
            n += targets.numel()
    logger.info("best checkpoint with flip TTA: top1 %.2f", 100.0 * c1 / n)

    latency = benchmark_latency(model, device)
    logger.info("latency: %s", latency)

    dummy = torch.randn(1, 3, 64, 64, device=device)
    torch.onnx.export(model, dummy, str(args.out / "resnet_tin.onnx"), input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=17)
    logger.info("exported %s", args.out / "resnet_tin.onnx")


if __name__ == "__main__":
    main()
