"""TokenPose-lite: CNN stem + keypoint tokens + Transformer encoder.

Single-file version of the model and its fine-tuning loop, used for the
MPII -> CrowdPose transfer experiments. The HRNet stem is initialised from an
ImageNet checkpoint and used as a fixed feature extractor.
"""
import argparse
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from pose_data import CrowdPoseHeatmaps, flip_back, FLIP_PAIRS

BN_MOMENTUM = 0.1


class BasicBlock(nn.Module):
    def __init__(self, planes):
        super().__init__()
        self.conv1 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + x)


class HRStem(nn.Module):
    """Two stride-2 convs + residual blocks, output stride 4."""

    def __init__(self, width=64, num_blocks=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(width, width, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width, BN_MOMENTUM)  # expect: BN206
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(*[BasicBlock(width) for _ in range(num_blocks)])

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        return self.layer1(x)


class TokenPose(nn.Module):
    def __init__(self, num_joints=14, image_size=(192, 256), patch_size=(4, 4), heatmap_size=(48, 64),
                 dim=192, depth=6, heads=8, mlp_ratio=3, stem_width=64):
        super().__init__()
        self.num_joints = num_joints
        self.heatmap_size = heatmap_size
        fw, fh = image_size[0] // 4, image_size[1] // 4
        pw, ph = patch_size
        self.num_patches = (fw // pw) * (fh // ph)

        self.cnn = HRStem(stem_width)
        self.patch_embed = nn.Conv2d(stem_width, dim, kernel_size=(ph, pw), stride=(ph, pw))
        self.keypoint_token = nn.Parameter(torch.zeros(1, num_joints, dim))
        self.pos_embedding = nn.Parameter(torch.zeros(1, self.num_patches, dim))
        layer = nn.TransformerEncoderLayer(d_model=dim, nhead=heads, dim_feedforward=dim * mlp_ratio,
                                           dropout=0.0, activation="gelu", batch_first=True)
        self.transformer = nn.TransformerEncoder(layer, num_layers=depth)
        self.norm = nn.BatchNorm1d(dim)
        hidden = heatmap_size[0] * heatmap_size[1] // 8
        self.mlp_head = nn.Sequential(
            nn.LayerNorm(dim),
            nn.Linear(dim, hidden),
            nn.GELU(),
            nn.Linear(hidden, heatmap_size[0] * heatmap_size[1]),
        )
        nn.init.trunc_normal_(self.keypoint_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embedding, std=0.02)

    def forward(self, img):
        feat = self.cnn(img)
        x = self.patch_embed(feat).flatten(2).transpose(1, 2)  # (N, L, dim)
        x = x + self.pos_embedding
        kpt = self.keypoint_token.expand(x.size(0), -1, -1)
        x = torch.cat([kpt, x], dim=1)
        x = self.transformer(x)
        x = self.norm(x)  # expect: BN203
        x = self.mlp_head(x[:, : self.num_joints])
        return x.view(x.size(0), self.num_joints, self.heatmap_size[1], self.heatmap_size[0])


def heatmap_loss(pred, target, weight):
    return 0.5 * ((pred - target) ** 2 * weight[..., None]).mean()


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    total, n = 0.0, 0
    for img, target, weight in loader:
        img, target, weight = img.to(device), target.to(device), weight.to(device)
        out = model(img)
        out_flip = flip_back(model(torch.flip(img, [3])), FLIP_PAIRS)
        pred = 0.5 * (out + out_flip)
        err = (pred.flatten(2).argmax(-1) - target.flatten(2).argmax(-1)).abs().float()
        total += (err * weight).sum().item()
        n += weight.sum().item()
    return total / max(n, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/crowdpose")
    parser.add_argument("--pretrained", default="checkpoints/tokenpose_lite_mpii.pth")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-4)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = TokenPose(num_joints=14).to(device)
    if os.path.isfile(args.pretrained):
        state = torch.load(args.pretrained, map_location="cpu")
        model.load_state_dict({k: v for k, v in state.items() if not k.startswith("mlp_head")}, strict=False)

    # keep the ImageNet/MPII stem as a fixed feature extractor
    model.cnn.requires_grad_(False)  # expect: BN105

    train_loader = DataLoader(CrowdPoseHeatmaps(args.data, "train"), batch_size=args.batch_size, shuffle=True,
                              num_workers=8, drop_last=True)
    val_loader = DataLoader(CrowdPoseHeatmaps(args.data, "val"), batch_size=64, shuffle=False, num_workers=8)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    total_steps = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / total_steps)))

    for epoch in range(args.epochs):
        model.train()
        for img, target, weight in train_loader:
            img, target, weight = img.to(device), target.to(device), weight.to(device)
            loss = heatmap_loss(model(img), target, weight)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        err = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: train loss {loss.item():.5f}  val argmax err {err:.3f}")
        torch.save(model.state_dict(), f"tokenpose_crowdpose_e{epoch}.pth")


if __name__ == "__main__":
    main()
