import torch
import torch.nn as nn
from net import Net
from train import Train
from test import Test


def train(train_loader, val_loader, epochs):
    model = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters())
    train = Train(model, train_loader, optimizer, criterion)
    val = Test(model, val_loader, criterion)
    for epoch in range(epochs):
        epoch_loss = train.run_epoch()
        if (epoch + 1) % 10 == 0:
            loss = val.run_epoch()
    return model
