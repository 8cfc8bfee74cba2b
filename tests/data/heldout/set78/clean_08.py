"""PointNet part segmentation (ShapeNet-Part style).

Every point gets a label. Per-point features (batch, 64, P) are concatenated
with the broadcast global feature and the one-hot object category, then a
shared MLP of 1x1 Conv1d layers scores each point.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_POINTS = 2048
N_CATEGORIES = 16
N_PARTS = 50


def shared_mlp(widths):
    layers = []
    for c_in, c_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Conv1d(c_in, c_out, 1, bias=False), nn.BatchNorm1d(c_out), nn.ReLU()]
    return nn.Sequential(*layers)


class PointNetPartSeg(nn.Module):
    def __init__(self, n_parts=N_PARTS, n_cat=N_CATEGORIES):
        super().__init__()
        self.local = shared_mlp([3, 64, 64])
        self.lift = shared_mlp([64, 128, 1024])
        self.global_fc = nn.Linear(1024 + n_cat, 256, bias=False)
        self.global_bn = nn.BatchNorm1d(256)
        self.seg = nn.Sequential(
            nn.Conv1d(64 + 256, 256, 1, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Conv1d(256, 128, 1, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Conv1d(128, n_parts, 1),
        )

    def forward(self, points, category):
        x = points.transpose(2, 1)
        local = self.local(x)
        glob = self.lift(local).max(dim=2).values
        glob = torch.cat([glob, F.one_hot(category, N_CATEGORIES).float()], dim=1)
        glob = F.relu(self.global_bn(self.global_fc(glob)))
        glob = glob.unsqueeze(-1).expand(-1, -1, local.size(-1))
        fused = torch.cat([local, glob], dim=1)
        return self.seg(fused)


def random_shapes(batch_size, device):
    pts = torch.randn(batch_size, N_POINTS, 3, device=device)
    pts = pts / pts.norm(dim=-1, keepdim=True).amax(dim=1, keepdim=True)
    cat = torch.randint(0, N_CATEGORIES, (batch_size,), device=device)
    labels = torch.randint(0, N_PARTS, (batch_size, N_POINTS), device=device)
    return pts, cat, labels


def mean_iou(pred, labels, n_parts=N_PARTS):
    ious = []
    for part in range(n_parts):
        inter = ((pred == part) & (labels == part)).sum().item()
        union = ((pred == part) | (labels == part)).sum().item()
        if union:
            ious.append(inter / union)
    return sum(ious) / max(len(ious), 1)


def main(epochs=20, batch_size=24):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = PointNetPartSeg().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, 10, 0.5)
    for epoch in range(epochs):
        model.train()
        for _ in range(50):
            pts, cat, labels = random_shapes(batch_size, device)
            loss = F.cross_entropy(model(pts, cat), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            pts, cat, labels = random_shapes(32, device)
            miou = mean_iou(model(pts, cat).argmax(1), labels)
        print(f"epoch {epoch} loss {loss.item():.4f} mIoU {miou:.3f}")


if __name__ == "__main__":
    main()
