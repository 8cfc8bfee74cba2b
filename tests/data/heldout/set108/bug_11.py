"""Smoke-test version of torchvision's references/segmentation/train.py.

Trains a small DeepLabV3-style network on a synthetic "shapes" dataset so the
whole pipeline (ASPP head, poly LR, confusion matrix) can be checked on a
single GPU in a few minutes before launching the real VOC/COCO runs.
"""
import argparse
import datetime
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

NUM_CLASSES = 4          # background, circle, square, triangle
NUM_TRAIN = 1000
NUM_VAL = 200
IMG_SIZE = 192


# ---------------------------------------------------------------- dataset
class ShapesDataset(Dataset):
    def __init__(self, count, img_size=IMG_SIZE, seed=0):
        self.count = count
        self.img_size = img_size
        self.seed = seed

    def __len__(self):
        return self.count

    def __getitem__(self, idx):
        rng = np.random.RandomState(self.seed * 100003 + idx)
        s = self.img_size
        img = rng.uniform(0, 0.2, size=(3, s, s)).astype(np.float32)
        mask = np.zeros((s, s), dtype=np.int64)
        yy, xx = np.mgrid[:s, :s]
        for cls in range(1, NUM_CLASSES):
            cx, cy = rng.randint(20, s - 20, size=2)
            r = rng.randint(8, 24)
            if cls == 1:
                region = (xx - cx) ** 2 + (yy - cy) ** 2 < r ** 2
            elif cls == 2:
                region = (abs(xx - cx) < r) & (abs(yy - cy) < r)
            else:
                region = (yy - cy < r) & (yy - cy > -r) & (abs(xx - cx) < (r - (yy - cy)) / 2)
            mask[region] = cls
            img[:, region] = rng.uniform(0.4, 1.0, size=(3, 1))
        return torch.from_numpy(img), torch.from_numpy(mask)


# ---------------------------------------------------------------- model
def conv_bn_relu(in_ch, out_ch, stride=1, dilation=1):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class Encoder(nn.Module):
    out_channels = 512

    def __init__(self):
        super().__init__()
        self.stage1 = nn.Sequential(conv_bn_relu(3, 64, stride=2), conv_bn_relu(64, 64))
        self.stage2 = nn.Sequential(conv_bn_relu(64, 128, stride=2), conv_bn_relu(128, 128))
        self.stage3 = nn.Sequential(conv_bn_relu(128, 256, stride=2), conv_bn_relu(256, 256))
        self.stage4 = nn.Sequential(conv_bn_relu(256, 512, dilation=2), conv_bn_relu(512, 512, dilation=2))

    def forward(self, x):
        return self.stage4(self.stage3(self.stage2(self.stage1(x))))


class ASPPConv(nn.Sequential):
    def __init__(self, in_channels, out_channels, dilation):
        modules = [
            nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        ]
        super().__init__(*modules)


class ASPPPooling(nn.Sequential):
    def __init__(self, in_channels, out_channels):
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(in_channels),  # expect: BN201
            nn.ReLU(),
        )

    def forward(self, x):
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    def __init__(self, in_channels, atrous_rates, out_channels=256):
        super().__init__()
        modules = []
        modules.append(
            nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU())
        )

        rates = tuple(atrous_rates)
        for rate in rates:
            modules.append(ASPPConv(in_channels, out_channels, rate))

        modules.append(ASPPPooling(in_channels, out_channels))

        self.convs = nn.ModuleList(modules)

        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(0.5),
        )

    def forward(self, x):
        _res = []
        for conv in self.convs:
            _res.append(conv(x))
        res = torch.cat(_res, dim=1)
        return self.project(res)


class DeepLabHead(nn.Sequential):
    def __init__(self, in_channels, num_classes):
        super().__init__(
            ASPP(in_channels, [12, 24, 36]),
            nn.Conv2d(256, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
            nn.Conv2d(256, num_classes, 1),
        )


class TinyDeepLab(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.backbone = Encoder()
        self.classifier = DeepLabHead(512, num_classes)

    def forward(self, x):
        input_shape = x.shape[-2:]
        features = self.backbone(x)
        x = self.classifier(features)
        x = F.interpolate(x, size=input_shape, mode="bilinear", align_corners=False)
        return {"out": x}


# ---------------------------------------------------------------- utils
class ConfusionMatrix:
    def __init__(self, num_classes):
        self.num_classes = num_classes
        self.mat = None

    def update(self, a, b):
        n = self.num_classes
        if self.mat is None:
            self.mat = torch.zeros((n, n), dtype=torch.int64, device=a.device)
        with torch.inference_mode():
            k = (a >= 0) & (a < n)
            inds = n * a[k].to(torch.int64) + b[k]
            self.mat += torch.bincount(inds, minlength=n ** 2).reshape(n, n)

    def compute(self):
        h = self.mat.float()
        acc_global = torch.diag(h).sum() / h.sum()
        iu = torch.diag(h) / (h.sum(1) + h.sum(0) - torch.diag(h))
        return acc_global, iu

    def __str__(self):
        acc_global, iu = self.compute()
        return "global correct: {:.1f}\nIoU: {}\nmean IoU: {:.1f}".format(
            acc_global.item() * 100, ["{:.1f}".format(i) for i in (iu * 100).tolist()], iu.mean().item() * 100)


def criterion(inputs, target):
    return nn.functional.cross_entropy(inputs["out"], target, ignore_index=255)


def evaluate(model, data_loader, device, num_classes):
    model.eval()
    confmat = ConfusionMatrix(num_classes)
    with torch.inference_mode():
        for image, target in data_loader:
            image, target = image.to(device), target.to(device)
            output = model(image)["out"]
            confmat.update(target.flatten(), output.argmax(1).flatten())
    return confmat


def train_one_epoch(model, criterion, optimizer, data_loader, lr_scheduler, device, epoch, print_freq):
    model.train()
    t0 = time.time()
    for i, (image, target) in enumerate(data_loader):
        image, target = image.to(device), target.to(device)
        output = model(image)
        loss = criterion(output, target)

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        lr_scheduler.step()

        if i % print_freq == 0:
            print(f"Epoch: [{epoch}] [{i}/{len(data_loader)}] loss {loss.item():.4f} "
                  f"lr {optimizer.param_groups[0]['lr']:.5f} ({time.time() - t0:.1f}s)")


def get_args_parser():
    parser = argparse.ArgumentParser(description="Synthetic segmentation smoke test", add_help=True)
    parser.add_argument("--device", default="cuda", type=str)
    parser.add_argument("-b", "--batch-size", default=9, type=int,
                        help="largest batch that fits at 192x192 on our 11 GB cards")
    parser.add_argument("--epochs", default=10, type=int)
    parser.add_argument("-j", "--workers", default=4, type=int)
    parser.add_argument("--lr", default=0.02, type=float)
    parser.add_argument("--momentum", default=0.9, type=float)
    parser.add_argument("--wd", "--weight-decay", default=1e-4, type=float, dest="weight_decay")
    parser.add_argument("--print-freq", default=20, type=int)
    parser.add_argument("--output-dir", default="./seg_smoke", type=str)
    parser.add_argument("--seed", default=42, type=int)
    return parser


def main(args):
    os.makedirs(args.output_dir, exist_ok=True)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)

    dataset = ShapesDataset(NUM_TRAIN, seed=1)
    dataset_test = ShapesDataset(NUM_VAL, seed=2)

    data_loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers)  # expect: BN302
    data_loader_test = DataLoader(dataset_test, batch_size=1, shuffle=False, num_workers=args.workers)

    model = TinyDeepLab(NUM_CLASSES).to(device)

    params_to_optimize = [
        {"params": [p for p in model.backbone.parameters() if p.requires_grad]},
        {"params": [p for p in model.classifier.parameters() if p.requires_grad], "lr": args.lr * 10},
    ]
    optimizer = torch.optim.SGD(params_to_optimize, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)

    iters_per_epoch = len(data_loader)
    lr_scheduler = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=iters_per_epoch * args.epochs, power=0.9)

    start_time = time.time()
    for epoch in range(args.epochs):
        train_one_epoch(model, criterion, optimizer, data_loader, lr_scheduler, device, epoch, args.print_freq)
        confmat = evaluate(model, data_loader_test, device=device, num_classes=NUM_CLASSES)
        print(confmat)
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch},
                   os.path.join(args.output_dir, "checkpoint.pth"))

    total_time = time.time() - start_time
    print(f"Training time {datetime.timedelta(seconds=int(total_time))}")


if __name__ == "__main__":
    args = get_args_parser().parse_args()
    main(args)
