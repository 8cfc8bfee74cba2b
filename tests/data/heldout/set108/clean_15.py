"""UCF-101 action recognition with a small R(2+1)D network.

Loosely follows torchvision/references/video_classification/train.py, but
samples one random 16-frame clip per training video per "epoch" from
pre-decoded frame folders (decoding with video_reader was our bottleneck).
"""
import argparse
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader, Dataset

CLIP_LEN = 16
CROP = 112
NUM_CLASSES = 101
# trainlist01.txt contains 9537 videos, testlist01.txt 3783
NUM_TRAIN_VIDEOS = 9537
MEAN = np.array([0.43216, 0.394666, 0.37645], dtype=np.float32)[:, None, None, None]
STD = np.array([0.22803, 0.22145, 0.216989], dtype=np.float32)[:, None, None, None]


def read_split(path, root):
    items = []
    with open(path) as f:
        for line in f:
            rel = line.strip().split(" ")[0]
            cls = rel.split("/")[0]
            items.append((os.path.join(root, os.path.splitext(rel)[0]), cls))
    classes = sorted({c for _, c in items})
    idx = {c: i for i, c in enumerate(classes)}
    return [(p, idx[c]) for p, c in items]


def load_clip(frame_dir, start, clip_len):
    frames = sorted(os.listdir(frame_dir))
    sel = [frames[min(start + i, len(frames) - 1)] for i in range(clip_len)]
    arr = np.stack([np.asarray(Image.open(os.path.join(frame_dir, f)).convert("RGB").resize((171, 128))) for f in sel])
    arr = arr.astype(np.float32).transpose(3, 0, 1, 2) / 255.0  # C, T, H, W
    return (arr - MEAN) / STD


class RandomClipDataset(Dataset):
    """Every item is a random clip from a random training video."""

    def __init__(self, items, samples_per_epoch, clip_len=CLIP_LEN):
        self.items = items
        self.samples_per_epoch = samples_per_epoch
        self.clip_len = clip_len

    def __len__(self):
        return self.samples_per_epoch

    def __getitem__(self, idx):
        frame_dir, label = random.choice(self.items)
        n = len(os.listdir(frame_dir))
        start = random.randint(0, max(n - self.clip_len, 0))
        clip = load_clip(frame_dir, start, self.clip_len)
        y0, x0 = random.randint(0, 128 - CROP), random.randint(0, 171 - CROP)
        clip = clip[:, :, y0:y0 + CROP, x0:x0 + CROP]
        if random.random() < 0.5:
            clip = clip[..., ::-1]
        return torch.from_numpy(np.ascontiguousarray(clip)), label


class CenterClipDataset(Dataset):
    def __init__(self, items, clip_len=CLIP_LEN):
        self.items = items
        self.clip_len = clip_len

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        frame_dir, label = self.items[idx]
        n = len(os.listdir(frame_dir))
        clip = load_clip(frame_dir, max((n - self.clip_len) // 2, 0), self.clip_len)
        y0, x0 = (128 - CROP) // 2, (171 - CROP) // 2
        return torch.from_numpy(np.ascontiguousarray(clip[:, :, y0:y0 + CROP, x0:x0 + CROP])), label


class Conv2Plus1D(nn.Sequential):
    def __init__(self, in_planes, out_planes, midplanes, stride=1, padding=1):
        super().__init__(
            nn.Conv3d(in_planes, midplanes, kernel_size=(1, 3, 3), stride=(1, stride, stride), padding=(0, padding, padding), bias=False),
            nn.BatchNorm3d(midplanes),
            nn.ReLU(inplace=True),
            nn.Conv3d(midplanes, out_planes, kernel_size=(3, 1, 1), stride=(stride, 1, 1), padding=(padding, 0, 0), bias=False),
        )


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        midplanes = (inplanes * planes * 3 * 3 * 3) // (inplanes * 3 * 3 + 3 * planes)
        super().__init__()
        self.conv1 = nn.Sequential(Conv2Plus1D(inplanes, planes, midplanes, stride), nn.BatchNorm3d(planes), nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(Conv2Plus1D(planes, planes, midplanes), nn.BatchNorm3d(planes))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        residual = x
        out = self.conv2(self.conv1(x))
        if self.downsample is not None:
            residual = self.downsample(x)
        return self.relu(out + residual)


class R2Plus1dStem(nn.Sequential):
    def __init__(self):
        super().__init__(
            nn.Conv3d(3, 45, kernel_size=(1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False),
            nn.BatchNorm3d(45),
            nn.ReLU(inplace=True),
            nn.Conv3d(45, 64, kernel_size=(3, 1, 1), stride=(1, 1, 1), padding=(1, 0, 0), bias=False),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True),
        )


class R2Plus1D(nn.Module):
    def __init__(self, layers=(1, 1, 1, 1), num_classes=NUM_CLASSES):
        super().__init__()
        self.inplanes = 64
        self.stem = R2Plus1dStem()
        self.layer1 = self._make_layer(64, layers[0], stride=1)
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))
        self.fc = nn.Linear(512, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv3d(self.inplanes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm3d(planes),
            )
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        for _ in range(1, blocks):
            layers.append(BasicBlock(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x).flatten(1)
        return self.fc(x)


def train_one_epoch(model, criterion, optimizer, lr_scheduler, data_loader, device, epoch, print_freq):
    model.train()
    t0 = time.time()
    for i, (video, target) in enumerate(data_loader):
        video, target = video.to(device, non_blocking=True), target.to(device, non_blocking=True)
        output = model(video)
        loss = criterion(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        lr_scheduler.step()
        if i % print_freq == 0:
            acc = (output.argmax(1) == target).float().mean().item() * 100
            print(f"Epoch [{epoch}] [{i}/{len(data_loader)}] loss {loss.item():.3f} acc {acc:.1f} ({time.time() - t0:.0f}s)")


def evaluate(model, data_loader, device):
    model.eval()
    correct = total = 0
    with torch.inference_mode():
        for video, target in data_loader:
            video, target = video.to(device, non_blocking=True), target.to(device, non_blocking=True)
            pred = model(video).argmax(1)
            correct += (pred == target).sum().item()
            total += target.numel()
    acc = 100.0 * correct / total
    print(f" * Clip Acc@1 {acc:.3f}")
    return acc


def main():
    parser = argparse.ArgumentParser(description="R(2+1)D on UCF-101")
    parser.add_argument("--frames-root", default="/data/ucf101/frames")
    parser.add_argument("--splits", default="/data/ucf101/ucfTrainTestlist")
    parser.add_argument("-b", "--batch-size", default=8, type=int)
    parser.add_argument("--epochs", default=45, type=int)
    parser.add_argument("--lr", default=0.01, type=float)
    parser.add_argument("-j", "--workers", default=10, type=int)
    parser.add_argument("--print-freq", default=50, type=int)
    parser.add_argument("--output", default="r2plus1d_ucf101.pth")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_items = read_split(os.path.join(args.splits, "trainlist01.txt"), args.frames_root)
    test_items = read_split(os.path.join(args.splits, "testlist01.txt"), args.frames_root)

    train_ds = RandomClipDataset(train_items, samples_per_epoch=NUM_TRAIN_VIDEOS)
    test_ds = CenterClipDataset(test_items)

    # 9537 % 8 == 1 -> drop the trailing single-clip batch
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, pin_memory=True, drop_last=True)
    test_loader = DataLoader(test_ds, batch_size=args.batch_size, shuffle=False, num_workers=args.workers, pin_memory=True)

    model = R2Plus1D().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    lr_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(train_loader))

    best = 0.0
    for epoch in range(args.epochs):
        train_one_epoch(model, criterion, optimizer, lr_scheduler, train_loader, device, epoch, args.print_freq)
        acc = evaluate(model, test_loader, device)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), args.output)


if __name__ == "__main__":
    main()
