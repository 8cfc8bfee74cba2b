import torch

from loop import train
from nets import Net


def validate(model, loader, epoch):
    model.eval()
    with torch.no_grad():
        acc = sum((model(x).argmax(1) == y).sum().item() for x, y in loader)
    print(epoch, acc)


model = Net()
val_loader = torch.load("val_loader.pt")
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
train(model, torch.load("train_loader.pt"), optimizer, 20, on_epoch_end=lambda e: validate(model, val_loader, e))
