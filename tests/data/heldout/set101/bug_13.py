"""PointNet classifier (Qi et al., 2017) with input T-Net, and ONNX export.

Shared per-point MLPs are 1x1 Conv1d layers; the global feature is a max-pool
over points. All norms share one partial so the momentum is set in one place.
"""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

norm1d = partial(nn.BatchNorm1d, momentum=0.01)

NUM_POINTS = 1024
GLOBAL_FEAT = 1024


def shared_mlp(channels):
    """[c0, c1, ..., cn] -> Conv1d(ci, ci+1, 1) + BN + ReLU per step."""
    layers = []
    for c_in, c_out in zip(channels[:-1], channels[1:]):
        layers += [nn.Conv1d(c_in, c_out, 1, bias=False), norm1d(c_out), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class TNet(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.k = k
        self.mlp = shared_mlp([k, 64, 128, GLOBAL_FEAT])
        self.fc1 = nn.Linear(GLOBAL_FEAT, 512, bias=False)
        self.bn4 = norm1d(512)
        self.fc2 = nn.Linear(512, 256, bias=False)
        self.bn5 = norm1d(256)
        self.fc3 = nn.Linear(256, k * k)
        nn.init.zeros_(self.fc3.weight)
        nn.init.zeros_(self.fc3.bias)

    def forward(self, x):
        b = x.size(0)
        x = self.mlp(x).max(dim=2)[0]
        x = F.relu(self.bn4(self.fc1(x)))
        x = F.relu(self.bn5(self.fc2(x)))
        iden = torch.eye(self.k, device=x.device, dtype=x.dtype).flatten()
        return (self.fc3(x) + iden).view(b, self.k, self.k)


class PointNetCls(nn.Module):
    def __init__(self, num_classes=40, dropout=0.3):
        super().__init__()
        self.stn = TNet(3)
        self.conv1 = nn.Conv1d(3, 64, 1, bias=False)
        self.bn1 = norm1d(64)
        self.conv2 = nn.Conv1d(64, 128, 1, bias=False)
        self.bn2 = norm1d(128)
        self.conv3 = nn.Conv1d(128, GLOBAL_FEAT, 1, bias=False)
        self.bn3 = norm1d(GLOBAL_FEAT)
        self.fc1 = nn.Linear(GLOBAL_FEAT, 512, bias=False)
        self.bn4 = norm1d(256)  # expect: BN201
        self.fc2 = nn.Linear(512, 256, bias=False)
        self.bn5 = norm1d(256)
        self.drop = nn.Dropout(p=dropout)
        self.fc3 = nn.Linear(256, num_classes)

    def forward(self, pts):
        trans = self.stn(pts)
        x = torch.bmm(trans, pts)
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        x = x.max(dim=2)[0]
        x = F.relu(self.bn4(self.fc1(x)))
        x = F.relu(self.bn5(self.drop(self.fc2(x))))
        return self.fc3(x), trans


def export(ckpt="pointnet_cls.pt", out="pointnet_cls.onnx"):
    model = PointNetCls(num_classes=40)
    model.load_state_dict(torch.load(ckpt, map_location="cpu"))
    dummy = torch.randn(1, 3, NUM_POINTS)
    torch.onnx.export(model, dummy, out, input_names=["points"],  # expect: BN104
                      output_names=["logits", "trans"], opset_version=13,
                      dynamic_axes={"points": {0: "batch", 2: "n"}})


if __name__ == "__main__":
    export()
