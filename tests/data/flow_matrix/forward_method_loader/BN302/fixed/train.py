import torch
from torch.utils.data import DataLoader

from model import PairEncoder


def train_self(dataset, batchsize=16, epochs=15):
    model = PairEncoder(136)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_loader = DataLoader(dataset=dataset, batch_size=batchsize, shuffle=True, drop_last=True)
    for epoch in range(epochs):
        for first, second in train_loader:
            model.train()
            e1, e2 = model.forward(first.float(), second.float())
            optimizer.zero_grad()
            loss = ((e1 - e2) ** 2).mean()
            loss.backward()
            optimizer.step()
    return model
