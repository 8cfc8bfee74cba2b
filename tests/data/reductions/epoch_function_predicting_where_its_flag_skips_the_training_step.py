import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(x)


def run_epoch(model, optimizer, dataloader, is_training):
    for x, y in dataloader:
        probs = model(x)
        loss = (probs - y).pow(2).mean()
        if is_training:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        _, predictions = torch.max(probs, dim=1)


def train(train_loader, valid_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    run_epoch(model, optimizer, valid_loader, is_training=False)
    run_epoch(model, optimizer, train_loader, is_training=True)
