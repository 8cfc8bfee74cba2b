import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(8, 8, 3, bias=False), nn.BatchNorm2d(8))
        self.pool = nn.Sequential(nn.Conv2d(8, 8, 3, bias=False), nn.BatchNorm2d(8))
        self.head = nn.Conv2d(8, 1, 1)

    def forward(self, x):
        return self.head(self.pool(self.enc(x)))

    def train(self, mode=True):
        super().train(mode)
        self.enc.eval()
        self.pool.eval()


model = Net()
model.enc.requires_grad_(False)
model.pool.requires_grad_(False)
model.pool.eval()
optimizer = torch.optim.Adam(model.head.parameters())
for i in range(100):
    model.train()
    loss = model(torch.randn(4, 8, 16, 16)).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
