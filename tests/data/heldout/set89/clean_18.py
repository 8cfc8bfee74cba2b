"""Pose-guided re-identification head for multi-person pose tracking.

A CNN feature map is pooled at each keypoint (from the pose estimator) and the
resulting keypoint tokens go through a small Transformer. The embedding neck
is the usual "BNNeck" from strong re-id baselines.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TokenBN(nn.Module):
    """BatchNorm over the embedding dim of a (N, L, E) token sequence."""

    def __init__(self, dim, momentum=0.1):
        super().__init__()
        self.bn = nn.BatchNorm1d(dim, momentum=momentum)

    def forward(self, x):  # x: (N, L, E)
        return self.bn(x.transpose(1, 2)).transpose(1, 2)


class KeypointPooling(nn.Module):
    def __init__(self, in_channels, dim, num_kpts=17):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, dim, kernel_size=1, bias=False)
        self.proj_bn = nn.BatchNorm2d(dim)
        self.kpt_embed = nn.Embedding(num_kpts + 1, dim)  # +1 for the global token
        self.num_kpts = num_kpts

    def forward(self, feat, kpts, vis):
        # feat: (N, C, H, W); kpts: (N, K, 2) in [-1, 1]; vis: (N, K)
        feat = F.relu(self.proj_bn(self.proj(feat)))
        grid = kpts.unsqueeze(2)  # (N, K, 1, 2)
        sampled = F.grid_sample(feat, grid, align_corners=False).squeeze(-1)  # (N, dim, K)
        tokens = sampled.transpose(1, 2) * vis.unsqueeze(-1)  # (N, K, dim)
        glob = feat.mean(dim=(2, 3)).unsqueeze(1)  # (N, 1, dim)
        tokens = torch.cat([glob, tokens], dim=1)
        ids = torch.arange(self.num_kpts + 1, device=feat.device).unsqueeze(0).expand(feat.size(0), -1)
        return tokens + self.kpt_embed(ids)


class BNNeck(nn.Module):
    """Linear -> BN1d on (N, C) embeddings; BN output is used for the ID loss and retrieval."""

    def __init__(self, in_dim, feat_dim, num_ids):
        super().__init__()
        self.reduce = nn.Linear(in_dim, feat_dim, bias=False)
        self.bottleneck = nn.BatchNorm1d(feat_dim)
        self.classifier = nn.Linear(feat_dim, num_ids, bias=False)
        nn.init.normal_(self.classifier.weight, std=0.001)

    def forward(self, x):
        feat = self.reduce(x)  # (N, feat_dim)
        feat_bn = self.bottleneck(feat)
        if self.training:
            return feat, self.classifier(feat_bn)
        return F.normalize(feat_bn, dim=1)


class PoseReIDHead(nn.Module):
    def __init__(self, in_channels=512, dim=256, depth=2, heads=8, num_kpts=17, feat_dim=512, num_ids=1500):
        super().__init__()
        self.pool = KeypointPooling(in_channels, dim, num_kpts)
        self.pre_norm = TokenBN(dim)
        layer = nn.TransformerEncoderLayer(dim, heads, dim * 2, dropout=0.1, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth)
        self.post_norm = nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(
            nn.Linear(dim, dim, bias=False),
            nn.BatchNorm1d(dim),
            nn.ReLU(inplace=True),
        )
        self.neck = BNNeck(dim * 2, feat_dim, num_ids)

    def forward(self, feat, kpts, vis):
        tokens = self.pool(feat, kpts, vis)  # (N, K+1, dim)
        tokens = self.pre_norm(tokens)
        tokens = self.post_norm(self.encoder(tokens))
        n, l, e = tokens.shape
        tokens = self.token_mlp(tokens.reshape(n * l, e)).reshape(n, l, e)
        glob = tokens[:, 0]
        parts = tokens[:, 1:].max(dim=1)[0]
        return self.neck(torch.cat([glob, parts], dim=1))


def triplet_loss(feat, labels, margin=0.3):
    dist = torch.cdist(feat, feat)
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    hardest_pos = (dist * same.float()).max(dim=1)[0]
    hardest_neg = (dist + 1e5 * same.float()).min(dim=1)[0]
    return F.relu(hardest_pos - hardest_neg + margin).mean()


def reid_step(head, optimizer, feat, kpts, vis, labels):
    head.train()
    emb, logits = head(feat, kpts, vis)
    loss = F.cross_entropy(logits, labels, label_smoothing=0.1) + triplet_loss(emb, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


@torch.no_grad()
def extract_embeddings(head, feat, kpts, vis):
    head.eval()
    return head(feat, kpts, vis)


def match_tracks(track_emb, det_emb, thresh=0.4):
    sim = det_emb @ track_emb.t()
    best, idx = sim.max(dim=1)
    return [(d, int(t)) for d, (s, t) in enumerate(zip(best.tolist(), idx.tolist())) if s > thresh]
