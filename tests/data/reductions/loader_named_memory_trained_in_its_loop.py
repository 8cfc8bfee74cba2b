import torch
from torch import nn
from torch.utils.data import DataLoader


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8), nn.Linear(8, 2))

    def forward(self, x):
        return self.net(x)


class GDumb(nn.Module):
    def __init__(self, basemodel):
        super().__init__()
        self.model = basemodel
        self.mem_class_x = [[] for _ in range(10)]
        self.optimizer_alg = torch.optim.SGD(basemodel.parameters(), lr=0.1)

    def model_update(self, batch_size):
        memory_loader = DataLoader(
            [
                (x_i, y_i) for y_i, mem_x in enumerate(self.mem_class_x)
                for x_i in mem_x
            ], batch_size=16, shuffle=True
        )
        for x, y in memory_loader:
            pred = self.model(x)
            loss = nn.functional.cross_entropy(pred, y)
            loss.backward()
            self.optimizer_alg.step()
