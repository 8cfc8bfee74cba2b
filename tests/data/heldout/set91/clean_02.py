# PointNet with input transform (T-Net) for ModelNet10.
# Conv1d(k=1) + BatchNorm1d on (B, C, N) point features, Linear + BatchNorm1d heads.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import fuse_modules
from torch.utils.data import DataLoader, TensorDataset

N_POINTS = 1024
N_CLASSES = 10
N_TRAIN = 3991           # 3991 % 30 == 1, hence drop_last below
N_TEST = 908
BATCH = 30


def mlp1d(widths):
    layers = []
    for cin, cout in zip(widths[:-1], widths[1:]):
        layers.append(nn.Conv1d(cin, cout, kernel_size=1, bias=False))
        layers.append(nn.BatchNorm1d(cout))
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def fc_bn(cin, cout):
    return nn.Sequential(nn.Linear(cin, cout, bias=False), nn.BatchNorm1d(cout), nn.ReLU())


class TNet(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.k = k
        self.conv = mlp1d([k, 64, 128, 1024])
        self.fc = nn.Sequential(fc_bn(1024, 512), fc_bn(512, 256), nn.Linear(256, k * k))
        nn.init.zeros_(self.fc[-1].weight)
        nn.init.zeros_(self.fc[-1].bias)

    def forward(self, x):
        g = self.conv(x).max(dim=2).values
        m = self.fc(g).view(-1, self.k, self.k)
        return m + torch.eye(self.k, device=x.device)


class PointNet(nn.Module):
    def __init__(self, n_classes=N_CLASSES):
        super().__init__()
        self.tnet = TNet(3)
        self.feat = mlp1d([3, 64, 128, 1024])
        self.head = nn.Sequential(
            nn.Linear(1024, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(),
            nn.Linear(512, 256, bias=False), nn.Dropout(0.3), nn.BatchNorm1d(256), nn.ReLU(),
            nn.Linear(256, n_classes),
        )

    def forward(self, pts):                 # pts: (B, 3, N)
        pts = torch.bmm(self.tnet(pts), pts)
        x = self.feat(pts)                  # (B, 1024, N) -> BatchNorm1d over C=1024 is right
        return self.head(x.max(dim=2).values)


def fake_modelnet(n, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, N_CLASSES, (n,), generator=g)
    axes = 0.3 + torch.rand(N_CLASSES, 3, 1, generator=g)
    return torch.randn(n, 3, N_POINTS, generator=g) * axes[y], y


def main():
    xtr, ytr = fake_modelnet(N_TRAIN, 0)
    xte, yte = fake_modelnet(N_TEST, 1)
    train_loader = DataLoader(TensorDataset(xtr, ytr), batch_size=BATCH, shuffle=True, drop_last=True)
    test_loader = DataLoader(TensorDataset(xte, yte), batch_size=BATCH)

    model = PointNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(40):
        model.train()
        for pts, y in train_loader:
            pts = pts + 0.01 * torch.randn_like(pts)
            loss = F.cross_entropy(model(pts), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        model.eval()
        correct = 0
        with torch.inference_mode():
            for pts, y in test_loader:
                correct += (model(pts).argmax(-1) == y).sum().item()
        print(f"epoch {epoch}: test acc {correct / N_TEST:.4f}")

    # fold conv+bn for CPU deployment; model is already in eval mode here
    model.eval()
    fused = fuse_modules(model, [["feat.0", "feat.1", "feat.2"],
                                 ["feat.3", "feat.4", "feat.5"],
                                 ["feat.6", "feat.7", "feat.8"]])
    torch.save(fused.state_dict(), "pointnet_fused.pt")


if __name__ == "__main__":
    main()
