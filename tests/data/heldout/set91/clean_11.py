"""PointNet part segmentation (ShapeNet-Part style), fine-tuning a
self-supervised point encoder that stays frozen (weights *and* BN stats).

Per-point features are (B, C, N): Conv1d + BatchNorm1d throughout.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

LOCAL_DIM = 64
GLOBAL_DIM = 1024
NUM_CATEGORIES = 16
NUM_PARTS = 50


def conv_bn(cin, cout):
    return nn.Sequential(nn.Conv1d(cin, cout, 1, bias=False), nn.BatchNorm1d(cout), nn.ReLU(inplace=True))


class PointEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.local = nn.Sequential(conv_bn(3, 64), conv_bn(64, LOCAL_DIM))
        self.deep = nn.Sequential(conv_bn(LOCAL_DIM, 128), conv_bn(128, GLOBAL_DIM))

    def forward(self, pts):
        local = self.local(pts)                           # (B, 64, N)
        glob = self.deep(local).max(dim=2, keepdim=True).values  # (B, 1024, 1)
        return local, glob


class PartSegNet(nn.Module):
    def __init__(self, encoder, freeze_encoder=True):
        super().__init__()
        self.encoder = encoder
        self.freeze_encoder = freeze_encoder
        if freeze_encoder:
            self.encoder.requires_grad_(False)
        cin = LOCAL_DIM + GLOBAL_DIM + NUM_CATEGORIES      # 1104
        self.seg = nn.Sequential(
            conv_bn(cin, 512),
            conv_bn(512, 256),
            nn.Dropout(0.3),
            conv_bn(256, 128),
            nn.Conv1d(128, NUM_PARTS, 1),
        )

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_encoder:
            self.encoder.eval()      # frozen BN keeps the pretrained running statistics
        return self

    def forward(self, pts, category):
        n = pts.size(2)
        local, glob = self.encoder(pts)
        cat = F.one_hot(category, NUM_CATEGORIES).float().unsqueeze(-1)
        feats = torch.cat([local, glob.expand(-1, -1, n), cat.expand(-1, -1, n)], dim=1)
        return self.seg(feats)                             # (B, NUM_PARTS, N)


def mean_iou(logits, labels):
    pred = logits.argmax(1)
    ious = []
    for p in range(NUM_PARTS):
        inter = ((pred == p) & (labels == p)).sum().item()
        union = ((pred == p) | (labels == p)).sum().item()
        if union:
            ious.append(inter / union)
    return sum(ious) / max(len(ious), 1)


@torch.inference_mode()
def test(model, loader):
    model.eval()
    scores = [mean_iou(model(pts, cat), lab) for pts, cat, lab in loader]
    return sum(scores) / len(scores)


def main():
    from shapenet_part import ShapeNetPart  # local helper, returns (pts[3, N], category, part_labels[N])

    encoder = PointEncoder()
    encoder.load_state_dict(torch.load("point_encoder_ssl.pt"))
    model = PartSegNet(encoder)
    train_dl = DataLoader(ShapeNetPart("trainval"), batch_size=16, shuffle=True, drop_last=True, num_workers=6)
    test_dl = DataLoader(ShapeNetPart("test"), batch_size=32, num_workers=6)
    opt = torch.optim.Adam((p for p in model.parameters() if p.requires_grad), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, 20, 0.5)

    for epoch in range(100):
        model.train()
        for pts, cat, lab in train_dl:
            loss = F.cross_entropy(model(pts, cat), lab)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        if epoch % 5 == 4:
            print(f"epoch {epoch}: test mIoU {test(model, test_dl):.4f}")
    torch.save(model.state_dict(), "partseg.pt")


if __name__ == "__main__":
    main()
