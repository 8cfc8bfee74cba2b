# PointNet (vanilla, no T-Net) for ModelNet40-style shape classification.
# Points come in as (B, 3, N); shared MLPs are 1x1 Conv1d + BatchNorm1d.
import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

NUM_POINTS = 1024
NUM_CLASSES = 40
NUM_TRAIN = 2465
NUM_TEST = 512
BATCH_SIZE = 32
EPOCHS = 60


class PointNetCls(nn.Module):
    def __init__(self, k=NUM_CLASSES, dropout=0.4):
        super().__init__()
        self.feat = nn.Sequential(
            nn.Conv1d(3, 64, 1, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(inplace=True),
            nn.Conv1d(64, 128, 1),  # expect: BN204
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.Conv1d(128, 1024, 1, bias=False),
            nn.BatchNorm1d(1024),
            nn.ReLU(inplace=True),
        )
        self.fc1 = nn.Linear(1024, 512, bias=False)
        self.bn1 = nn.BatchNorm2d(512)  # expect: BN202
        self.fc2 = nn.Linear(512, 256, bias=False)
        self.bn2 = nn.BatchNorm1d(256)
        self.drop = nn.Dropout(dropout)
        self.fc3 = nn.Linear(256, k)

    def forward(self, pts):
        x = self.feat(pts)                 # (B, 1024, N)
        x = torch.max(x, dim=2)[0]         # (B, 1024)
        x = torch.relu(self.bn1(self.fc1(x)))
        x = torch.relu(self.bn2(self.drop(self.fc2(x))))
        return self.fc3(x)


def shape_scales(num_classes, seed=0):
    """Cheap stand-in for ModelNet: every class is an anisotropic Gaussian blob."""
    g = torch.Generator().manual_seed(seed)
    return 0.5 + torch.rand(num_classes, 3, generator=g)


def random_rotate_z(pts):
    theta = torch.rand(pts.size(0)) * 2 * math.pi
    c, s = torch.cos(theta), torch.sin(theta)
    rot = torch.zeros(pts.size(0), 3, 3)
    rot[:, 0, 0], rot[:, 0, 1] = c, -s
    rot[:, 1, 0], rot[:, 1, 1] = s, c
    rot[:, 2, 2] = 1.0
    return torch.bmm(rot, pts)


def main():
    scales = shape_scales(NUM_CLASSES)
    train_y = torch.randint(0, NUM_CLASSES, (NUM_TRAIN,))
    train_pts = torch.randn(NUM_TRAIN, 3, NUM_POINTS)
    train_pts.mul_(scales[train_y].unsqueeze(-1))
    test_y = torch.randint(0, NUM_CLASSES, (NUM_TEST,))
    test_pts = torch.randn(NUM_TEST, 3, NUM_POINTS)
    test_pts.mul_(scales[test_y].unsqueeze(-1))
    train_loader = DataLoader(TensorDataset(train_pts, train_y), batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
    test_loader = DataLoader(TensorDataset(test_pts, test_y), batch_size=BATCH_SIZE)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = PointNetCls().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.7)
    crit = nn.CrossEntropyLoss(label_smoothing=0.2)

    for epoch in range(EPOCHS):
        model.train()
        running = 0.0
        for pts, y in train_loader:
            pts, y = random_rotate_z(pts).to(device), y.to(device)
            opt.zero_grad(set_to_none=True)
            loss = crit(model(pts), y)
            loss.backward()
            opt.step()
            running += loss.item() * y.size(0)
        sched.step()

        model.eval()
        correct = 0
        with torch.no_grad():
            for pts, y in test_loader:
                pred = model(pts.to(device)).argmax(1)
                correct += (pred.cpu() == y).sum().item()
        print(f"[{epoch}] train loss {running / NUM_TRAIN:.3f} "
              f"test acc {correct / NUM_TEST:.3f}")

    torch.save(model.state_dict(), "pointnet_cls.pth")


if __name__ == "__main__":
    main()
