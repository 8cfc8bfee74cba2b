import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class Projector(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(256, 64, bias=False)
        self.bn = nn.BatchNorm1d(64)

    def forward(self, x):
        return self.bn(self.fc(x))


class LocalTrainer:
    def __init__(self, backbone, device="cpu"):
        self.device = torch.device(device)
        self.backbone = backbone.to(self.device)

    def train(self, dataset, epochs=1):
        loader = DataLoader(dataset, batch_size=16, shuffle=True)
        optimizer = torch.optim.SGD(self.backbone.parameters(), lr=0.01)
        self.backbone.train()
        for _ in range(epochs):
            for x, y in loader:
                optimizer.zero_grad()
                nn.functional.cross_entropy(self.backbone(x.to(self.device)), y).backward()
                optimizer.step()
