"""Anchor-free (CenterNet-style) detector with an ImageNet-pretrained, partly frozen ResNet backbone."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from data.coco import CocoCenterDataset, collate_targets  # repo-local
from utils.heatmap import focal_loss, decode_centers, coco_map  # repo-local


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity, inplace=True)


class ResNetBackbone(nn.Module):
    """ResNet-34 trunk. Stages up to `frozen_stages` are frozen; with `norm_eval`
    every BatchNorm keeps its ImageNet statistics."""

    def __init__(self, layers=(3, 4, 6, 3), frozen_stages=1, norm_eval=True):
        super().__init__()
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, 2, 3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        inplanes = 64
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers), start=1):
            blocks = [BasicBlock(inplanes, planes, stride=1 if i == 1 else 2)]
            blocks += [BasicBlock(planes, planes) for _ in range(n - 1)]
            setattr(self, f"layer{i}", nn.Sequential(*blocks))
            inplanes = planes
        self._freeze_stages()

    def _freeze_stages(self):
        if self.frozen_stages >= 0:
            self.stem.eval()
            for p in self.stem.parameters():
                p.requires_grad = False
        for i in range(1, self.frozen_stages + 1):
            stage = getattr(self, f"layer{i}")
            stage.eval()
            for p in stage.parameters():
                p.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    def forward(self, x):
        x = self.stem(x)
        c2 = self.layer1(x)
        c3 = self.layer2(c2)
        c4 = self.layer3(c3)
        c5 = self.layer4(c4)
        return c3, c4, c5


class CenterHead(nn.Module):
    def __init__(self, in_ch, num_classes, feat=128, groups=32):
        super().__init__()

        def tower(out_ch):
            return nn.Sequential(
                nn.Conv2d(in_ch, feat, 3, padding=1),
                nn.GroupNorm(groups, feat),
                nn.ReLU(inplace=True),
                nn.Conv2d(feat, out_ch, 1),
            )

        self.heatmap = tower(num_classes)
        self.size = tower(2)
        self.offset = tower(2)
        nn.init.constant_(self.heatmap[-1].bias, -2.19)

    def forward(self, x):
        return self.heatmap(x).sigmoid(), self.size(x), self.offset(x)


class CenterDetector(nn.Module):
    def __init__(self, num_classes=80):
        super().__init__()
        self.backbone = ResNetBackbone()
        self.lateral = nn.Conv2d(512, 256, 1)
        self.up = nn.Sequential(
            nn.ConvTranspose2d(256, 256, 4, stride=2, padding=1),
            nn.GroupNorm(32, 256),
            nn.ReLU(inplace=True),
        )
        self.fuse = nn.Conv2d(256 + 256, 256, 3, padding=1)
        self.head = CenterHead(256, num_classes)

    def forward(self, images):
        _, c4, c5 = self.backbone(images)
        x = self.up(self.lateral(c5))
        x = F.relu(self.fuse(torch.cat([x, c4], dim=1)))
        return self.head(x)


def evaluate(model, loader, device):
    model.eval()
    detections = []
    with torch.no_grad():
        for images, targets in loader:
            heat, wh, off = model(images.to(device))
            detections.extend(decode_centers(heat, wh, off, k=100, image_ids=[t["image_id"] for t in targets]))
    return coco_map(detections, loader.dataset.coco)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--coco", default="./data/coco")
    parser.add_argument("--pretrained", default="./weights/resnet34_backbone.pth")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=70)
    parser.add_argument("--lr", type=float, default=5e-4)
    args = parser.parse_args()

    device = torch.device("cuda")
    model = CenterDetector(num_classes=80)
    missing, unexpected = model.backbone.load_state_dict(torch.load(args.pretrained, map_location="cpu"), strict=False)
    print(f"backbone: {len(missing)} missing, {len(unexpected)} unexpected keys")
    model.to(device)

    train_loader = DataLoader(CocoCenterDataset(args.coco, "train2017", input_size=512),
                              batch_size=args.batch_size, shuffle=True, num_workers=8,
                              collate_fn=collate_targets, drop_last=True)
    val_loader = DataLoader(CocoCenterDataset(args.coco, "val2017", input_size=512),
                            batch_size=8, num_workers=4, collate_fn=collate_targets)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(args.epochs):
        model.train()
        for images, targets in train_loader:
            images = images.to(device)
            with torch.autocast("cuda", dtype=torch.float16):
                heat, wh, off = model(images)
                loss = focal_loss(heat, targets["heatmap"].to(device))
                loss = loss + 0.1 * F.l1_loss(wh * targets["mask"].to(device), targets["wh"].to(device))
                loss = loss + F.l1_loss(off * targets["mask"].to(device), targets["offset"].to(device))
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        if (epoch + 1) % 5 == 0:
            print(f"epoch {epoch + 1}: mAP {evaluate(model, val_loader, device):.4f}")
        torch.save(model.state_dict(), f"centernet_r34_e{epoch + 1}.pth")


if __name__ == "__main__":
    main()
