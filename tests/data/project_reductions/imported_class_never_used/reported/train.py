import torch
from torch.utils.data import DataLoader, random_split

from models_def import Pretrained, WithBN1d

HEAD = WithBN1d


def train(loader, model, loss_fn, optimizer):
    model.train()
    for data, target in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(data), target)
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    dataset = torch.load("data.pt")
    train_set, val_set = random_split(dataset, [0.8, 0.2])
    train_loader = DataLoader(train_set, batch_size=16, shuffle=True)
    model = HEAD(10)
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(5):
        train(train_loader, model, torch.nn.CrossEntropyLoss(), optimizer)
