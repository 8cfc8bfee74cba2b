"""Re-ID embedding network; every BN gets the input rank it needs after view/flatten/unsqueeze."""
import torch
import torch.nn as nn
import torch.nn.functional as F

FEAT_DIM = 256
EMB_DIM = 128


def stage(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class SEGate(nn.Module):
    """Squeeze-excitation whose bottleneck is normalised on (N, C, 1, 1)."""

    def __init__(self, channels, reduction=4):
        super().__init__()
        self.fc1 = nn.Linear(channels, channels // reduction, bias=False)
        self.bn = nn.BatchNorm2d(channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)

    def forward(self, x):
        n, c, _, _ = x.shape
        s = self.fc1(x.mean(dim=(2, 3)))                  # (N, C/r)
        s = self.bn(s.view(n, -1, 1, 1)).view(n, -1)      # BN2d on (N, C/r, 1, 1)
        return x * torch.sigmoid(self.fc2(F.relu(s))).view(n, c, 1, 1)


class ReIDNet(nn.Module):
    def __init__(self, num_ids=751):
        super().__init__()
        self.backbone = nn.Sequential(stage(3, 64), stage(64, 128), stage(128, FEAT_DIM))
        self.se = SEGate(FEAT_DIM)
        self.token_bn = nn.BatchNorm1d(FEAT_DIM)         # on (N, C, HW)
        self.neck_bn = nn.BatchNorm1d(FEAT_DIM)          # on (N, C, 1) after unsqueeze
        self.embed = nn.Linear(FEAT_DIM, EMB_DIM, bias=False)
        self.embed_bn = nn.BatchNorm1d(EMB_DIM)
        self.id_head = nn.Linear(EMB_DIM, num_ids, bias=False)

    def forward(self, x):
        fmap = self.se(self.backbone(x))                  # (N, C, H, W)
        n, c, h, w = fmap.shape
        tokens = self.token_bn(fmap.reshape(n, c, h * w)) # (N, C, HW)
        std = tokens.std(dim=2)                           # (N, C)
        g = torch.flatten(F.adaptive_avg_pool2d(fmap, 1), 1)   # (N, C)
        g = self.neck_bn(g.unsqueeze(-1)).squeeze(-1)           # (N, C, 1) -> (N, C)
        g = g + 0.1 * std
        emb = self.embed_bn(self.embed(g))
        if self.training:
            return emb, self.id_head(emb)
        return F.normalize(emb, dim=1)


def train_step(model, images, labels, optimizer, margin=0.3):
    model.train()
    optimizer.zero_grad()
    emb, logits = model(images)
    dist = torch.cdist(emb, emb)
    same = (labels[:, None] == labels[None, :]).float()
    tri = F.relu((dist * same).max(1).values - (dist + 1e6 * same).min(1).values + margin)
    loss = F.cross_entropy(logits, labels) + tri.mean()
    loss.backward()
    optimizer.step()
    return loss.detach()
