"""PointNet part segmentation with a learned feature transform.

Per-point features (64) are concatenated with the repeated global feature
(1024) before the segmentation MLP.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

GLOBAL_DIM = 1024
POINT_DIM = 64


def shared_mlp(channels, last_act=True):
    """Stack of 1x1 Conv1d + BatchNorm1d + ReLU over a list of widths."""
    layers = []
    for i in range(len(channels) - 1):
        layers.append(nn.Conv1d(channels[i], channels[i + 1], 1, bias=False))
        layers.append(nn.BatchNorm1d(channels[i + 1]))
        if last_act or i < len(channels) - 2:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def fc_bn(in_features, out_features):
    return nn.Sequential(
        nn.Linear(in_features, out_features, bias=False),
        nn.BatchNorm1d(out_features),
        nn.ReLU(inplace=True),
    )


class TNet(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.k = k
        self.features = shared_mlp([k, 64, 128, GLOBAL_DIM])
        self.fc = nn.Sequential(
            fc_bn(GLOBAL_DIM, 512),
            fc_bn(512, 256),
            nn.Linear(256, k * k),
        )
        nn.init.zeros_(self.fc[-1].weight)
        nn.init.zeros_(self.fc[-1].bias)

    def forward(self, x):
        b = x.size(0)
        x = self.features(x)
        x = torch.amax(x, dim=2)
        x = self.fc(x).view(b, self.k, self.k)
        return x + torch.eye(self.k, device=x.device, dtype=x.dtype).unsqueeze(0)


class PointNetBackbone(nn.Module):
    def __init__(self, in_dim=3):
        super().__init__()
        self.input_tnet = TNet(k=in_dim)
        self.conv1 = nn.Conv1d(in_dim, POINT_DIM, 1, bias=False)
        self.bn1 = nn.BatchNorm1d(POINT_DIM)
        self.feature_tnet = TNet(k=POINT_DIM)
        self.conv2 = nn.Conv1d(POINT_DIM, 128, 1, bias=False)
        self.bn2 = nn.BatchNorm1d(128)
        self.conv3 = nn.Conv1d(128, GLOBAL_DIM, 1, bias=False)
        self.bn3 = nn.BatchNorm1d(GLOBAL_DIM)

    def forward(self, pts):
        # pts: (B, C, N)
        trans = self.input_tnet(pts)
        x = torch.bmm(trans.transpose(1, 2), pts)
        x = F.relu(self.bn1(self.conv1(x)))
        feat_trans = self.feature_tnet(x)
        point_feat = torch.bmm(feat_trans.transpose(1, 2), x)
        x = F.relu(self.bn2(self.conv2(point_feat)))
        x = self.bn3(self.conv3(x))
        global_feat = torch.amax(x, dim=2)
        return point_feat, global_feat, feat_trans


class PointNetPartSeg(nn.Module):
    def __init__(self, num_parts=50, num_categories=16, in_dim=3):
        super().__init__()
        self.num_categories = num_categories
        self.backbone = PointNetBackbone(in_dim)
        seg_in = POINT_DIM + GLOBAL_DIM + num_categories
        self.seg_head = nn.Sequential(
            nn.Conv1d(seg_in, 512, 1, bias=False),
            nn.BatchNorm1d(512),
            nn.ReLU(inplace=True),
            nn.Conv1d(512, 256, 1, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Conv1d(256, 128, 1, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.Conv1d(128, num_parts, 1),
        )

    def forward(self, pts, category):
        n = pts.size(2)
        point_feat, global_feat, feat_trans = self.backbone(pts)
        onehot = F.one_hot(category, self.num_categories).to(pts.dtype)
        g = torch.cat([global_feat, onehot], dim=1).unsqueeze(2).expand(-1, -1, n)
        x = torch.cat([point_feat, g], dim=1)
        logits = self.seg_head(x)
        return logits.transpose(1, 2), feat_trans


def orthogonality_loss(trans):
    k = trans.size(1)
    eye = torch.eye(k, device=trans.device).unsqueeze(0)
    return ((torch.bmm(trans, trans.transpose(1, 2)) - eye) ** 2).sum(dim=(1, 2)).mean()


if __name__ == "__main__":
    net = PointNetPartSeg()
    print(net.seg_head[0])
