# Modelled on: https://github.com/deep-learning-with-pytorch/dlwpt-code/issues/104 ("Didn't set model to eval mode
# when validating in chapter 8": NetResDeep has BatchNorm, validate() runs it under torch.no_grad() in training
# mode).
# Bug: BN101.
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse


class ResBlock(nn.Module):
    def __init__(self, n_chans):
        super().__init__()
        self.conv = nn.Conv2d(n_chans, n_chans, kernel_size=3, padding=1, bias=False)
        self.batch_norm = nn.BatchNorm2d(num_features=n_chans)

    def forward(self, x):
        out = torch.relu(self.batch_norm(self.conv(x)))
        return out + x


class NetResDeep(nn.Module):
    def __init__(self, n_chans1=16, n_blocks=4):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.resblocks = nn.Sequential(*(n_blocks * [ResBlock(n_chans=n_chans1)]))
        self.fc1 = nn.Linear(4 * 4 * n_chans1, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        out = F.max_pool2d(self.resblocks(out), 2)
        out = out.view(-1, 4 * 4 * self.n_chans1)
        return self.fc2(torch.relu(self.fc1(out)))


def training_loop(n_epochs, optimizer, model, loss_fn, train_loader, val_loader, steps):
    step = 0
    for epoch in range(1, n_epochs + 1):
        for imgs, labels in train_loader:
            loss = loss_fn(model(imgs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step >= steps:
                return
        validate(model, train_loader, val_loader)


def validate(model, train_loader, val_loader):
    for name, loader in [("train", train_loader), ("val", val_loader)]:
        correct = 0
        total = 0
        with torch.no_grad():
            for imgs, labels in loader:
                outputs = model(imgs)
                _, predicted = torch.max(outputs, dim=1)
                total += labels.shape[0]
                correct += int((predicted == labels).sum())


if __name__ == "__main__":
    args = parse()
    train = TensorDataset(torch.randn(96, 3, 16, 16), torch.randint(0, 2, (96,)))
    val = TensorDataset(torch.randn(32, 3, 16, 16), torch.randint(0, 2, (32,)))
    model = NetResDeep()
    optimizer = torch.optim.SGD(model.parameters(), lr=3e-3)
    with Clock():
        training_loop(100, optimizer, model, nn.CrossEntropyLoss(), DataLoader(train, batch_size=32, shuffle=True),
                      DataLoader(val, batch_size=32), args.steps)
