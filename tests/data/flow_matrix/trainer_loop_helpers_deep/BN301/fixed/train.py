import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from trainer import Trainer

model = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
dataset = TensorDataset(torch.randn(64, 4), torch.randn(64))
loader = DataLoader(dataset, batch_size=32)
Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1)).fit(loader)
