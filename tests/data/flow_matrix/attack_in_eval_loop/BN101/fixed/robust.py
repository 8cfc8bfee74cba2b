import torch
import torch.nn as nn

from attacks import fgsm


def main(train_loader, test_loader, epochs=5):
    model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for epoch in range(epochs):
        for x, y in train_loader:
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    robust = 0
    for x, y in test_loader:
        x_adv = fgsm(model, x, y)
        robust += (model(x_adv).argmax(1) == y).sum().item()
    print(robust / len(test_loader.dataset))
