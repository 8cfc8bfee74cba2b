"""PointNet classifier for ModelNet40-style point clouds.

Point clouds come from the sampler as (batch, n_points, 3); the shared MLPs are
1x1 Conv1d layers over (batch, 3, n_points).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_POINTS = 1024
N_CLASSES = 40


class TNet(nn.Module):
    """Predicts a k x k alignment matrix from the point set."""

    def __init__(self, k=3):
        super().__init__()
        self.k = k
        self.conv1 = nn.Conv1d(k, 64, 1, bias=False)
        self.bn1 = nn.BatchNorm1d(64)
        self.conv2 = nn.Conv1d(64, 128, 1, bias=False)
        self.bn2 = nn.BatchNorm1d(128)
        self.conv3 = nn.Conv1d(128, 1024, 1, bias=False)
        self.bn3 = nn.BatchNorm1d(1024)
        self.fc1 = nn.Linear(1024, 512, bias=False)
        self.bn4 = nn.BatchNorm1d(256)  # expect: BN201
        self.fc2 = nn.Linear(512, 256, bias=False)
        self.bn5 = nn.BatchNorm1d(256)
        self.fc3 = nn.Linear(256, k * k)
        nn.init.zeros_(self.fc3.weight)
        nn.init.zeros_(self.fc3.bias)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        x = torch.max(x, dim=2).values
        x = F.relu(self.bn4(self.fc1(x)))
        x = F.relu(self.bn5(self.fc2(x)))
        identity = torch.eye(self.k, device=x.device).flatten()
        return (self.fc3(x) + identity).view(-1, self.k, self.k)


class PointNetCls(nn.Module):
    def __init__(self, n_classes=N_CLASSES):
        super().__init__()
        self.input_tnet = TNet(3)
        self.mlp1 = nn.Sequential(
            nn.Conv1d(3, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Conv1d(64, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
        )
        self.mlp2 = nn.Sequential(
            nn.Conv1d(64, 128, 1, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
            nn.Conv1d(128, 1024, 1, bias=False), nn.BatchNorm1d(1024),
        )
        self.head = nn.Sequential(
            nn.Linear(1024, 512, bias=False),
            nn.BatchNorm1d(512),
            nn.ReLU(),
            nn.Linear(512, 256, bias=False),
            nn.BatchNorm2d(256),  # expect: BN202
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(256, n_classes),
        )

    def forward(self, points):
        x = points.transpose(1, 2)
        trans = self.input_tnet(x)
        x = torch.bmm(trans, x)
        x = self.mlp1(x)
        x = self.mlp2(x)
        x = torch.max(x, dim=2).values
        return self.head(x), trans


def orthogonality_loss(trans):
    eye = torch.eye(trans.size(1), device=trans.device).unsqueeze(0)
    return ((torch.bmm(trans, trans.transpose(1, 2)) - eye) ** 2).sum(dim=(1, 2)).mean()


def augment(points):
    theta = torch.rand(points.size(0)) * 2 * torch.pi
    c, s = torch.cos(theta), torch.sin(theta)
    rot = torch.zeros(points.size(0), 3, 3)
    rot[:, 0, 0], rot[:, 0, 2], rot[:, 1, 1] = c, s, 1.0
    rot[:, 2, 0], rot[:, 2, 2] = -s, c
    points = torch.bmm(points, rot.to(points.device))
    return points + 0.01 * torch.randn_like(points)


def main(epochs=50, batch_size=32):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = PointNetCls().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.7)
    for epoch in range(epochs):
        model.train()
        for _ in range(100):
            pts = torch.rand(batch_size, N_POINTS, 3, device=device) * 2 - 1
            labels = torch.randint(0, N_CLASSES, (batch_size,), device=device)
            logits, trans = model(augment(pts))
            loss = F.cross_entropy(logits, labels) + 1e-3 * orthogonality_loss(trans)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            pts = torch.rand(64, N_POINTS, 3, device=device) * 2 - 1
            logits, _ = model(pts)
            print(epoch, loss.item(), logits.softmax(-1).max(-1).values.mean().item())


if __name__ == "__main__":
    main()
