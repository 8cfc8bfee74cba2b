import torch
import torch.nn as nn


class PooledClassifier(nn.Module):
    """Masked mean pooling over (N, L, H) -> BN-MLP -> logits."""

    def __init__(self, hidden, num_classes, dropout=0.2):
        super().__init__()
        self.fc = nn.Linear(hidden, hidden, bias=False)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, h, mask):
        m = mask.unsqueeze(-1).float()
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)     # (N, H)
        return self.out(self.drop(torch.relu(self.bn(self.fc(pooled)))))


class TokenTagger(nn.Module):
    """Per-token tags. Tokens are flattened to (N*L, H) so BatchNorm1d sees features on dim 1."""

    def __init__(self, hidden, num_tags):
        super().__init__()
        self.fc = nn.Linear(hidden, hidden, bias=False)
        self.bn = nn.BatchNorm1d(hidden)
        self.out = nn.Linear(hidden, num_tags)

    def forward(self, h):
        n, l, d = h.shape
        x = h.reshape(n * l, d)
        x = torch.relu(self.bn(self.fc(x)))
        return self.out(x).view(n, l, -1)
