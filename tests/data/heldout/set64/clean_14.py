"""PointNet classification, smoke-test configuration on cached ModelNet40 tensors.

Points are stored as (num_shapes, num_points, 3); the network works channels-first.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

NUM_CLASSES = 40
NUM_POINTS = 1024
N_TRAIN = 2049
N_TEST = 513


class STN3d(nn.Module):
    """Predicts a 3x3 alignment matrix for the input cloud."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(3, 64, 1, bias=False)
        self.conv2 = nn.Conv1d(64, 128, 1, bias=False)
        self.conv3 = nn.Conv1d(128, 1024, 1, bias=False)
        self.fc1 = nn.Linear(1024, 512, bias=False)
        self.fc2 = nn.Linear(512, 256, bias=False)
        self.fc3 = nn.Linear(256, 9)
        self.bn1 = nn.BatchNorm1d(64)
        self.bn2 = nn.BatchNorm1d(128)
        self.bn3 = nn.BatchNorm1d(1024)
        self.bn4 = nn.BatchNorm1d(512)
        self.bn5 = nn.BatchNorm1d(256)
        nn.init.zeros_(self.fc3.weight)
        nn.init.zeros_(self.fc3.bias)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        x = torch.max(x, 2)[0]
        x = F.relu(self.bn4(self.fc1(x)))
        x = F.relu(self.bn5(self.fc2(x)))
        iden = torch.eye(3, device=x.device).flatten()
        return (self.fc3(x) + iden).view(-1, 3, 3)


class PointNetCls(nn.Module):
    def __init__(self, k=NUM_CLASSES, dropout=0.3):
        super().__init__()
        self.stn = STN3d()
        self.mlp1 = nn.Sequential(nn.Conv1d(3, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
                                  nn.Conv1d(64, 128, 1, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
                                  nn.Conv1d(128, 1024, 1, bias=False), nn.BatchNorm1d(1024))
        self.head = nn.Sequential(
            nn.Linear(1024, 512, bias=False),
            nn.BatchNorm1d(512),
            nn.ReLU(),
            nn.Linear(512, 256, bias=False),
            nn.Dropout(dropout),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, k),
        )

    def forward(self, points):
        x = points.transpose(2, 1)              # (B, N, 3) -> (B, 3, N)
        trans = self.stn(x)
        x = torch.bmm(x.transpose(2, 1), trans).transpose(2, 1)
        x = self.mlp1(x)
        x = torch.max(x, 2)[0]
        return self.head(x), trans


def feature_transform_reg(trans):
    eye = torch.eye(trans.size(1), device=trans.device)[None]
    return torch.linalg.matrix_norm(torch.bmm(trans, trans.transpose(2, 1)) - eye).mean()


def load_split(cache_dir, split, n):
    path = os.path.join(cache_dir, f"modelnet40_{split}.pt")
    if os.path.exists(path):
        pts, labels = torch.load(path)
        return TensorDataset(pts[:n], labels[:n])
    return TensorDataset(torch.randn(n, NUM_POINTS, 3), torch.randint(0, NUM_CLASSES, (n,)))


@torch.no_grad()
def test(model, loader, device):
    model.eval()
    correct = 0
    for points, target in loader:
        logits, _ = model(points.to(device))
        correct += (logits.argmax(1).cpu() == target).sum().item()
    return correct / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", default="./data/modelnet40_cache")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=250)
    parser.add_argument("--out", default="pointnet_cls.pth")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_set = load_split(args.cache, "train", N_TRAIN)
    test_set = load_split(args.cache, "test", N_TEST)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=1, shuffle=False)

    model = PointNetCls().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.7)

    best = 0.0
    for epoch in range(args.epochs):
        model.train()
        for points, target in train_loader:
            points = points + 0.02 * torch.randn_like(points)
            points, target = points.to(device), target.to(device)
            logits, trans = model(points)
            loss = F.cross_entropy(logits, target) + 1e-3 * feature_transform_reg(trans)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = test(model, test_loader, device)
        print(f"epoch {epoch:3d} loss {loss.item():.4f} test acc {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(model.state_dict(), args.out)

    model.load_state_dict(torch.load(args.out, map_location=device))
    print(f"best checkpoint: {test(model, test_loader, device):.4f}")


if __name__ == "__main__":
    main()
