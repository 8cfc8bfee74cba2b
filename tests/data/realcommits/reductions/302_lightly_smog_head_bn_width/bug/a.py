from torch import nn


class Head(nn.Module):
    def __init__(self, in_dim=2048, hidden_dim=2048, out_dim=128):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(in_dim, hidden_dim),
            nn.BatchNorm1d(2048),
            nn.ReLU(),
            nn.Linear(hidden_dim, out_dim),
        )


head = Head(512)  # (hidden_dim at its default)
