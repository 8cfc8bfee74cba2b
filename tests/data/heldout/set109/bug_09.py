# ValueError: Expected more than 1 value per channel when training,
# got input size torch.Size([1, 64])
# torch 2.0.0, the same code works with nn.LayerNorm instead of BatchNorm1d
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class RandomPairs(Dataset):
    def __init__(self, n=500):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 10, generator=g)
        self.y = self.x.sum(dim=1, keepdim=True) + 0.1 * torch.randn(n, 1, generator=g)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


model = nn.Sequential(
    nn.Linear(10, 64),  # expect: BN204
    nn.BatchNorm1d(64),
    nn.ReLU(),
    nn.Linear(64, 1),
)

loader = DataLoader(RandomPairs(), batch_size=1, shuffle=True)  # expect: BN301
opt = torch.optim.Adam(model.parameters(), lr=1e-3)

model.train()
for epoch in range(2):
    running = 0.0
    for x, y in loader:
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running += loss.item()
    print(epoch, running / len(loader))
