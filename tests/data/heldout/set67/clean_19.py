"""PointNet classification on ModelNet40 point clouds (pre-sampled to 1024 points, .h5 files)."""
import argparse
import glob

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

NUM_POINTS = 1024
BN_EPS = 1e-3
BN_MOMENTUM_INIT = 0.1
BN_MOMENTUM_MIN = 0.01
BN_DECAY_RATE = 0.5
BN_DECAY_STEP = 20


def shared_mlp(channels):
    layers = []
    for c_in, c_out in zip(channels[:-1], channels[1:]):
        layers += [nn.Conv1d(c_in, c_out, 1, bias=False),
                   nn.BatchNorm1d(c_out, eps=BN_EPS, momentum=BN_MOMENTUM_INIT),
                   nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class TNet(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.k = k
        self.mlp = shared_mlp([k, 64, 128, 1024])
        self.fc1 = nn.Linear(1024, 512, bias=False)
        self.bn1 = nn.BatchNorm1d(512, eps=BN_EPS, momentum=None)
        self.fc2 = nn.Linear(512, 256, bias=False)
        self.bn2 = nn.BatchNorm1d(num_features=256, eps=BN_EPS, momentum=0.01)
        self.fc3 = nn.Linear(256, k * k)
        nn.init.zeros_(self.fc3.weight)
        nn.init.zeros_(self.fc3.bias)

    def forward(self, x):
        g = self.mlp(x).amax(dim=2)
        g = F.relu(self.bn2(self.fc2(F.relu(self.bn1(self.fc1(g))))))
        return self.fc3(g).view(-1, self.k, self.k) + torch.eye(self.k, device=x.device)


class PointNetCls(nn.Module):
    def __init__(self, num_classes=40):
        super().__init__()
        self.input_transform = TNet(3)
        self.mlp1 = shared_mlp([3, 64, 64])
        self.feature_transform = TNet(64)
        self.mlp2 = shared_mlp([64, 64, 128, 1024])
        self.head = nn.Sequential(
            nn.Linear(1024, 512, bias=False), nn.BatchNorm1d(512, eps=BN_EPS, momentum=BN_MOMENTUM_INIT), nn.ReLU(),
            nn.Linear(512, 256, bias=False), nn.BatchNorm1d(256, eps=BN_EPS, momentum=BN_MOMENTUM_INIT), nn.ReLU(),
            nn.Dropout(0.3), nn.Linear(256, num_classes))

    def forward(self, pts):                       # pts: (N, 3, P)
        pts = torch.bmm(self.input_transform(pts), pts)
        feat = self.mlp1(pts)
        trans = self.feature_transform(feat)
        feat = torch.bmm(trans, feat)
        global_feat = self.mlp2(feat).amax(dim=2)
        return self.head(global_feat), trans


def set_bn_momentum(model, epoch):
    momentum = max(BN_MOMENTUM_MIN, BN_MOMENTUM_INIT * BN_DECAY_RATE ** (epoch // BN_DECAY_STEP))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d) and m.momentum is not None:
            m.momentum = momentum


class ModelNet(Dataset):
    def __init__(self, pattern, augment):
        pts, labels = [], []
        for path in sorted(glob.glob(pattern)):
            with h5py.File(path, "r") as f:
                pts.append(f["data"][:, :NUM_POINTS]); labels.append(f["label"][:].reshape(-1))
        self.points, self.labels, self.augment = np.concatenate(pts), np.concatenate(labels), augment

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        p = self.points[i].astype(np.float32)
        if self.augment:
            p = p * np.random.uniform(0.8, 1.25, 3).astype(np.float32) + np.random.normal(0, 0.01, p.shape).astype(np.float32)
        return torch.from_numpy(p.T.copy()), int(self.labels[i])


@torch.no_grad()
def test(model, loader, device):
    model.eval()
    correct = 0
    for pts, labels in loader:
        logits, _ = model(pts.to(device))
        correct += (logits.argmax(1).cpu() == labels).sum().item()
    return correct / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="modelnet40_ply_hdf5_2048")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(ModelNet(f"{args.data}/ply_data_train*.h5", True), batch_size=args.batch_size,
                              shuffle=True, num_workers=4, drop_last=True)
    test_loader = DataLoader(ModelNet(f"{args.data}/ply_data_test*.h5", False), batch_size=64)
    model = PointNetCls().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.7)
    eye = torch.eye(64, device=device)
    for epoch in range(args.epochs):
        set_bn_momentum(model, epoch)
        model.train()
        for pts, labels in train_loader:
            logits, trans = model(pts.to(device))
            reg = ((trans @ trans.transpose(1, 2) - eye) ** 2).sum(dim=(1, 2)).mean()
            loss = F.cross_entropy(logits, labels.to(device)) + 1e-3 * reg
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        print(f"epoch {epoch}: test acc {test(model, test_loader, device):.4f}")


if __name__ == "__main__":
    main()
