import torch
import torch.nn as nn
import torch.nn.functional as F

from evaluate import evaluate


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4, bias=False)
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(self.fc(x))


def train(model, train_loader, eval_loader):
    optimizer = torch.optim.Adam(model.parameters())
    for iteration in range(10000):
        data, target = next(iter(train_loader))
        model.train()
        loss = F.mse_loss(model(data), target)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if iteration % 2000 == 0:
            model.eval()
            ap = evaluate(model, eval_loader)


if __name__ == '__main__':
    train(Net(), [], [])
