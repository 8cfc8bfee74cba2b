import torch
import torch.nn as nn
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader
from torch_geometric.nn import GCNConv, global_mean_pool


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = GCNConv(3, 64)
        self.head = nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, batch):
        return self.head(global_mean_pool(self.conv(batch.x, batch.edge_index), batch.batch))


graphs = [Data(x=torch.randn(5, 3), edge_index=torch.tensor([[0, 1], [1, 0]]), y=torch.tensor([i % 2]))
          for i in range(1001)]
loader = DataLoader(graphs, batch_size=100, shuffle=True)
model = Net()
optimizer = torch.optim.Adam(model.parameters())
for epoch in range(10):
    for batch in loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(batch), batch.y).backward()
        optimizer.step()
