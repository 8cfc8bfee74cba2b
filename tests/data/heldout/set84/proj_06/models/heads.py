import torch
import torch.nn as nn

import configs as C


class GradeHead(nn.Module):
    """Global pooling (avg + max) -> MLP -> class logits."""

    def __init__(self, in_dim, num_classes, hidden=64, dropout=C.DROPOUT):
        super().__init__()
        self.avg = nn.AdaptiveAvgPool3d(1)
        self.max = nn.AdaptiveMaxPool3d(1)
        self.fc1 = nn.Linear(2 * in_dim, hidden, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = torch.cat([self.avg(x), self.max(x)], dim=1).flatten(1)
        x = torch.relu(self.bn1(self.fc1(x)))
        return self.fc2(self.drop(x))
