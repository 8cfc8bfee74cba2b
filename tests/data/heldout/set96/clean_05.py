"""Multimodal activity recogniser: video clip (3D), IMU signal (1D), metadata (tabular)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

IMU_CHANNELS = 6
META_FEATURES = 20
FUSED = 128 + 64 + 32


class VideoBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv3d(3, 32, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
            nn.BatchNorm3d(32),
            nn.ReLU(inplace=True),
            nn.Conv3d(32, 64, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True),
            nn.Conv3d(64, 128, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm3d(128),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool3d(1),
            nn.Flatten(),
        )

    def forward(self, clip):            # (N, 3, T, H, W)
        return self.net(clip)           # (N, 128)


class IMUBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(IMU_CHANNELS, 32, 5, padding=2, bias=False),
            nn.BatchNorm1d(32),         # (N, C, L)
            nn.ReLU(inplace=True),
            nn.Conv1d(32, 64, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
        )

    def forward(self, imu):             # (N, 6, L)
        return self.net(imu)            # (N, 64)


class MetaBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.BatchNorm1d(META_FEATURES),   # input normalisation on (N, C)
            nn.Linear(META_FEATURES, 32, bias=False),
            nn.BatchNorm1d(32),
            nn.ReLU(inplace=True),
        )

    def forward(self, meta):
        return self.net(meta)


class ActivityNet(nn.Module):
    def __init__(self, num_classes=27):
        super().__init__()
        self.video = VideoBranch()
        self.imu = IMUBranch()
        self.meta = MetaBranch()
        self.fuse = nn.Sequential(
            nn.Linear(FUSED, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(256, num_classes),
        )

    def forward(self, clip, imu, meta):
        z = torch.cat([self.video(clip), self.imu(imu), self.meta(meta)], dim=1)
        return self.fuse(z)


def train_step(model, batch, optimizer):
    model.train()
    clip, imu, meta, label = batch
    optimizer.zero_grad()
    loss = F.cross_entropy(model(clip, imu, meta), label)
    loss.backward()
    optimizer.step()
    return loss.item()
