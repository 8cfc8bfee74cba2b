import torch

from engine import evaluate, train_one_epoch
from models import YOLOv2


def main(epochs, train_loader, val_loader):
    model = YOLOv2().train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        train_one_epoch(model, train_loader, optimizer)
        model.eval()
        print(evaluate(model, val_loader))
