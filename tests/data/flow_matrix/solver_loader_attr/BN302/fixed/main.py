import torch
from torch.utils.data import DataLoader, TensorDataset

from models import Net
from solver import Solver

train_set = TensorDataset(torch.randn(1001, 3, 32, 32), torch.randint(0, 10, (1001,)))
test_set = TensorDataset(torch.randn(200, 3, 32, 32), torch.randint(0, 10, (200,)))
train_loader = DataLoader(train_set, batch_size=100, shuffle=True, drop_last=True)
test_loader = DataLoader(test_set, batch_size=50)
solver = Solver(Net(), train_loader, test_loader)
for epoch in range(20):
    solver.train_epoch()
    print(epoch, solver.test())
