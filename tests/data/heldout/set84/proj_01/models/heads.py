"""Classification and projection heads."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ClassifierHead(nn.Module):
    """Global average pool -> dropout -> linear."""

    def __init__(self, in_channels, num_classes, dropout=0.0):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        # plain linear classifier, no norm after it -> keep the bias
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x):
        x = self.pool(x).flatten(1)
        x = self.drop(x)
        return self.fc(x)


class ProjectionHead(nn.Module):
    """SimCLR / SupCon style 2-layer MLP projection head."""

    def __init__(self, in_channels, proj_dim=128, hidden_dim=512):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hidden_dim),  # expect: BN204
            nn.BatchNorm1d(hidden_dim),
            nn.ReLU(inplace=True),
            nn.Linear(hidden_dim, proj_dim),
        )

    def forward(self, x):
        x = self.pool(x).flatten(1)
        z = self.mlp(x)
        return F.normalize(z, dim=1)


def supcon_loss(z, labels, temperature=0.1):
    """Supervised contrastive loss on L2-normalised embeddings (N, D)."""
    n = z.shape[0]
    sim = z @ z.t() / temperature
    self_mask = torch.eye(n, dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(self_mask, float("-inf"))
    pos = (labels[:, None] == labels[None, :]) & ~self_mask
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    pos_cnt = pos.sum(1).clamp(min=1)
    loss = -(log_prob.masked_fill(~pos, 0.0).sum(1) / pos_cnt)
    return loss.mean()
