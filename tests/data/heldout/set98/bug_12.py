"""PointNet classification on ModelNet40, ported from charlesq34/pointnet (TensorFlow).

Shared MLPs (tf_util.conv2d with 1xK kernels) become Conv1d(k=1); the TF code
used batch norm on every layer except the last of each head.
"""
import glob

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

NUM_POINT = 1024
NUM_CLASSES = 40
BATCH_SIZE = 32
MAX_EPOCH = 250


class TNet(nn.Module):
    """Input / feature transform net (transform_nets.py)."""

    def __init__(self, k=3):
        super().__init__()
        self.k = k
        self.conv1 = nn.Conv1d(k, 64, 1, bias=False)
        self.conv2 = nn.Conv1d(64, 128, 1, bias=False)
        self.conv3 = nn.Conv1d(128, 1024, 1, bias=False)
        self.fc1 = nn.Linear(1024, 512, bias=False)
        self.fc2 = nn.Linear(512, 256, bias=False)
        self.fc3 = nn.Linear(256, k * k)
        self.bn1 = nn.BatchNorm1d(64)
        self.bn2 = nn.BatchNorm1d(128)
        self.bn3 = nn.BatchNorm1d(1024)
        self.bn4 = nn.BatchNorm1d(512)
        self.bn5 = nn.BatchNorm1d(512)  # expect: BN201
        nn.init.zeros_(self.fc3.weight)
        nn.init.zeros_(self.fc3.bias)

    def forward(self, x):
        b = x.size(0)
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        x = torch.max(x, 2)[0]
        x = F.relu(self.bn4(self.fc1(x)))
        x = F.relu(self.bn5(self.fc2(x)))
        identity = torch.eye(self.k, device=x.device).flatten()
        return (self.fc3(x) + identity).view(b, self.k, self.k)


class PointNetCls(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.input_transform = TNet(3)
        self.feature_transform = TNet(64)
        self.mlp1 = nn.Sequential(
            nn.Conv1d(3, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Conv1d(64, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
        )
        self.mlp2 = nn.Sequential(
            nn.Conv1d(64, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Conv1d(64, 128, 1, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
            nn.Conv1d(128, 1024, 1, bias=False), nn.BatchNorm1d(1024), nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Linear(1024, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(512, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(256, num_classes),
        )

    def forward(self, pts):                      # pts: (B, 3, N)
        pts = torch.bmm(self.input_transform(pts).transpose(1, 2), pts)
        feat = self.mlp1(pts)
        trans = self.feature_transform(feat)
        feat = torch.bmm(trans.transpose(1, 2), feat)
        glob_feat = torch.max(self.mlp2(feat), 2)[0]
        return self.head(glob_feat), trans


class ModelNetH5(Dataset):
    def __init__(self, pattern, augment):
        data, label = [], []
        for f in sorted(glob.glob(pattern)):
            with h5py.File(f, "r") as h5:
                data.append(h5["data"][:, :NUM_POINT])
                label.append(h5["label"][:, 0])
        self.data = np.concatenate(data).astype(np.float32)
        self.label = np.concatenate(label).astype(np.int64)
        self.augment = augment

    def __len__(self):
        return len(self.label)

    def __getitem__(self, i):
        pts = self.data[i]
        if self.augment:
            theta = np.random.uniform(0, 2 * np.pi)
            rot = np.array([[np.cos(theta), 0, np.sin(theta)], [0, 1, 0],
                            [-np.sin(theta), 0, np.cos(theta)]], dtype=np.float32)
            pts = pts @ rot + np.clip(0.01 * np.random.randn(*pts.shape), -0.05, 0.05).astype(np.float32)
        return torch.from_numpy(pts).t().contiguous(), self.label[i]


def eval_one_epoch(model, loader, device):
    model.eval()
    correct = seen = 0
    with torch.no_grad():
        for pts, label in loader:
            logits, _ = model(pts.to(device))
            correct += (logits.argmax(1).cpu() == label).sum().item()
            seen += label.numel()
    return correct / seen


def main():
    device = torch.device("cuda")
    train_loader = DataLoader(ModelNetH5("modelnet40_ply_hdf5_2048/ply_data_train*.h5", True),
                              batch_size=BATCH_SIZE, shuffle=True, num_workers=4)
    test_loader = DataLoader(ModelNetH5("modelnet40_ply_hdf5_2048/ply_data_test*.h5", False),
                             batch_size=BATCH_SIZE, shuffle=False)
    model = PointNetCls().to(device)
    # the TF graph averaged BN statistics over the GPU towers
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.7)
    eye64 = torch.eye(64, device=device)

    model.train()
    for epoch in range(MAX_EPOCH):
        for pts, label in train_loader:
            pts, label = pts.to(device), label.to(device)
            logits, trans = model(pts)
            reg = ((trans @ trans.transpose(1, 2) - eye64) ** 2).sum(dim=(1, 2)).mean()
            loss = F.cross_entropy(logits, label) + 0.001 * reg
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = eval_one_epoch(model, test_loader, device)  # expect: BN103
        print(f"epoch {epoch:03d} loss {loss.item():.4f} eval accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
