import torch

from nets import Net
from steps import train_epoch, validate


def main(train_loader, val_loader, epochs):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.eval()
    for epoch in range(epochs):
        print(validate(model, val_loader))
        train_epoch(model, train_loader, optimizer)
