from functools import reduce

import torch
from torch import nn
from torch.autograd import Variable
from torch.utils.data import DataLoader


class LambdaModule(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


class CNN(nn.Module):
    def __init__(self, image_channel_size, classes, depth, channel_size, reducing_layers=3):
        super().__init__()
        self.layers = nn.ModuleList([nn.Conv2d(image_channel_size, channel_size // (2 ** (depth - 2)), 3, 1, 1)])
        for i in range(depth - 2):
            previous_conv = [l for l in self.layers if isinstance(l, nn.Conv2d)][-1]
            self.layers.append(nn.Conv2d(previous_conv.out_channels, previous_conv.out_channels * 2,
                                         3, 1 if i >= reducing_layers else 2, 1))
            self.layers.append(nn.BatchNorm2d(previous_conv.out_channels * 2))
            self.layers.append(nn.ReLU())
        self.layers.append(LambdaModule(lambda x: x.view(x.size(0), -1)))
        self.layers.append(nn.Linear(channel_size, classes))

    def forward(self, x):
        return reduce(lambda x, l: l(x), self.layers, x)


def validate(model, dataset, test_size=256, cuda=False, verbose=True):
    data_loader = DataLoader(dataset, batch_size=32, shuffle=True)
    total_tested = 0
    total_correct = 0
    for data, labels in data_loader:
        if total_tested >= test_size:
            break
        data = Variable(data).cuda() if cuda else Variable(data)
        labels = Variable(labels).cuda() if cuda else Variable(labels)
        scores = model(data)
        _, predicted = torch.max(scores, 1)
        total_correct += (predicted == labels).sum().item()
        total_tested += len(data)
    precision = total_correct / total_tested
    if verbose:
        print("=> precision: {:.3f}".format(precision))
    return precision


def train_solver(solver, train_dataset, test_datasets, iterations, eval_log_interval=50, lr=1e-3):
    optimizer = torch.optim.Adam(solver.parameters(), lr=lr, weight_decay=1e-5)
    criterion = nn.CrossEntropyLoss()
    loader = iter(DataLoader(train_dataset, batch_size=32, shuffle=True))
    solver.train()
    for batch_index in range(1, iterations + 1):
        x, y = next(loader)
        loss = criterion(solver(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if batch_index % eval_log_interval == 0:
            precisions = [validate(solver, d, verbose=False) for d in test_datasets]
            print(batch_index, precisions)
