import torch
import torch.nn as nn
import torch.nn.functional as F


class GeM(nn.Module):
    def __init__(self, p=3.0, eps=1e-6, trainable=True):
        super().__init__()
        self.p = nn.Parameter(torch.ones(1) * p) if trainable else p
        self.eps = eps

    def forward(self, x):
        return F.adaptive_avg_pool2d(x.clamp(min=self.eps).pow(self.p), 1).pow(1.0 / self.p).flatten(1)

    def __repr__(self):
        p = self.p.item() if isinstance(self.p, nn.Parameter) else self.p
        return f"{self.__class__.__name__}(p={p:.4f}, eps={self.eps})"


def make_neck(in_features, embed_dim, dropout=0.2):
    """Linear -> BN -> PReLU embedding neck used by all our image models."""
    return nn.Sequential(
        nn.Dropout(dropout),
        nn.Linear(in_features, embed_dim, bias=False),
        nn.BatchNorm1d(embed_dim),
        nn.PReLU(),
    )
