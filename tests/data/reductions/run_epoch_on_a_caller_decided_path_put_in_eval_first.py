import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(x)


def run_epoch(model, optimizer, writer, dataloader, is_training):
    model.train() if is_training else model.eval()
    for x, y in dataloader:
        with torch.set_grad_enabled(is_training):
            probs = model(x)
        loss = (probs - y).pow(2).mean()
        if is_training:
            optimizer.zero_grad()
            loss.backward()
            writer.add_activations(model)
            optimizer.step()
        _, predictions = torch.max(probs, dim=1)


def train(writer, train_loader, valid_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        run_epoch(model, optimizer, writer, valid_loader, is_training=False)
        run_epoch(model, optimizer, writer, train_loader, is_training=True)
