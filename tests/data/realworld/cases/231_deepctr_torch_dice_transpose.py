import torch
import torch.nn as nn


class Dice(nn.Module):
    """Data Adaptive Activation Function in DIN; dim=3 inputs are (batch, seq_len, emb)."""

    def __init__(self, emb_size, dim=2, epsilon=1e-8, device="cpu"):
        super().__init__()
        assert dim == 2 or dim == 3
        self.bn = nn.BatchNorm1d(emb_size, eps=epsilon)
        self.sigmoid = nn.Sigmoid()
        self.dim = dim
        if self.dim == 2:
            self.alpha = nn.Parameter(torch.zeros((emb_size,)).to(device))
        else:
            self.alpha = nn.Parameter(torch.zeros((emb_size, 1)).to(device))

    def forward(self, x):
        assert x.dim() == self.dim
        if self.dim == 2:
            x_p = self.sigmoid(self.bn(x))
            out = self.alpha * (1 - x_p) * x + x_p * x
        else:
            x = torch.transpose(x, 1, 2)
            x_p = self.sigmoid(self.bn(x))
            out = self.alpha * (1 - x_p) * x + x_p * x
            out = torch.transpose(out, 1, 2)
        return out


class LocalActivationUnit(nn.Module):
    def __init__(self, hidden_units=(64, 32), embedding_dim=4, dice_dim=3):
        super().__init__()
        layers = []
        in_dim = 4 * embedding_dim
        for h in hidden_units:
            layers += [nn.Linear(in_dim, h), Dice(h, dim=dice_dim)]
            in_dim = h
        self.dnn = nn.Sequential(*layers)
        self.dense = nn.Linear(hidden_units[-1], 1)

    def forward(self, query, user_behavior):
        # query: (B, 1, E), user_behavior: (B, T, E)
        queries = query.expand(-1, user_behavior.size(1), -1)
        attention_input = torch.cat([queries, user_behavior, queries - user_behavior, queries * user_behavior], dim=-1)
        return self.dense(self.dnn(attention_input))
