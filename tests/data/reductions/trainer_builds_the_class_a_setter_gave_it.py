import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(20, 8)
        self.bn = nn.BatchNorm1d(8)

    def forward(self, x):
        return self.bn(self.fc(x))


class Client:
    def __init__(self, dataset):
        self.dataset = dataset
        self.model_cls = None

    def set_model(self, model_cls):
        self.model_cls = model_cls

    def fit(self, epochs, **model_kwargs):
        net = self.model_cls(**model_kwargs)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        loader = DataLoader(self.dataset, batch_size=16, shuffle=True)
        for _ in range(epochs):
            for x, y in loader:
                optimizer.zero_grad()
                nn.functional.cross_entropy(net(x), y).backward()
                optimizer.step()
