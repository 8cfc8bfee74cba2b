import torch.nn as nn

from config import Config


class ProjectionHead(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.fc1 = nn.Linear(512, cfg.hidden)
        self.bn1 = nn.BatchNorm1d(cfg.out_dim)
        self.fc2 = nn.Linear(cfg.hidden, cfg.out_dim)

    def forward(self, x):
        return self.fc2(self.bn1(self.fc1(x)).relu())


head = ProjectionHead(Config())
