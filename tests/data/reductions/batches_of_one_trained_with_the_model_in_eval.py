import torch
import torch.nn as nn
from torch.utils.data import DataLoader

net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(1))
loader = DataLoader(dataset, batch_size=1, shuffle=True)
# batches of one: BatchNorm kept on its pretrained averages
net.eval()
optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)


def train():
    for epoch in range(10):
        for image, target in loader:
            loss = nn.functional.mse_loss(net(image), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    train()
