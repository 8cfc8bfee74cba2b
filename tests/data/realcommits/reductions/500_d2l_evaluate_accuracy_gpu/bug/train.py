import torch
from torch import nn

net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)


def evaluate(net, data):
    return [net(x).argmax(1) for x, _ in data]


def train(net, train_data, test_data):
    for epoch in range(3):
        for x, y in train_data:
            net.train()  # mode set inside the batch loop
            loss = nn.functional.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        evaluate(net, test_data)
