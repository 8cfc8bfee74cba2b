"""PointNet classification on ModelNet40 (pre-sampled 1024-point clouds in .npy)."""
import os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import Dataset, DataLoader

NUM_POINTS = 1024


class ModelNet40(Dataset):
    def __init__(self, root, split):
        self.points = np.load(os.path.join(root, f"{split}_points.npy"))   # (N, 1024, 3)
        self.labels = np.load(os.path.join(root, f"{split}_labels.npy"))
        self.train = split == "train"

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        pts = self.points[i].astype(np.float32)
        if self.train:
            theta = np.random.uniform(0, 2 * np.pi)
            rot = np.array([[np.cos(theta), 0, np.sin(theta)], [0, 1, 0],
                            [-np.sin(theta), 0, np.cos(theta)]], dtype=np.float32)
            pts = pts @ rot.T + np.random.normal(0, 0.01, pts.shape).astype(np.float32)
        return torch.from_numpy(pts), int(self.labels[i])


class TNet(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.k = k
        self.conv = nn.Sequential(
            nn.Conv1d(k, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Conv1d(64, 128, 1, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
            nn.Conv1d(128, 1024, 1, bias=False), nn.BatchNorm1d(1024), nn.ReLU(),
        )
        self.fc = nn.Sequential(
            nn.Linear(1024, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(),
            nn.Linear(512, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(),
            nn.Linear(256, k * k),
        )
        nn.init.zeros_(self.fc[-1].weight)
        nn.init.zeros_(self.fc[-1].bias)

    def forward(self, x):                      # (B, k, N)
        g = self.conv(x).max(dim=2).values      # (B, 1024)
        m = self.fc(g).view(-1, self.k, self.k)
        return m + torch.eye(self.k, device=x.device)


class PointNetCls(nn.Module):
    def __init__(self, n_classes=40):
        super().__init__()
        self.tnet = TNet(3)
        self.mlp1 = nn.Sequential(nn.Conv1d(3, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU())
        self.mlp2 = nn.Sequential(
            nn.Conv1d(64, 128, 1, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
            nn.Conv1d(128, 1024, 1, bias=False), nn.BatchNorm1d(1024),
        )
        self.head = nn.Sequential(
            nn.Linear(1024, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(512, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(256, n_classes),
        )

    def forward(self, pts):                    # pts: (B, N, 3)
        x = pts.permute(0, 2, 1)               # -> (B, 3, N) channels first for Conv1d/BN1d
        x = torch.bmm(self.tnet(x), x)
        x = self.mlp2(self.mlp1(x))
        return self.head(x.max(dim=2).values)


def main(root="data/modelnet40", epochs=200, device="cuda"):
    train_loader = DataLoader(ModelNet40(root, "train"), batch_size=32, shuffle=True, num_workers=4)
    test_loader = DataLoader(ModelNet40(root, "test"), batch_size=32)
    model = PointNetCls().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.7)

    for epoch in range(epochs):
        model.train(mode=True)
        for pts, y in train_loader:
            pts, y = pts.to(device), y.to(device)
            loss = F.cross_entropy(model(pts), y, label_smoothing=0.2)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()

        model.train(mode=False)
        correct = total = 0
        with torch.no_grad():
            for pts, y in test_loader:
                pred = model(pts.to(device)).argmax(-1).cpu()
                correct += (pred == y).sum().item()
                total += len(y)
        print(f"epoch {epoch:3d}  test OA {correct / total:.4f}")


if __name__ == "__main__":
    main()
