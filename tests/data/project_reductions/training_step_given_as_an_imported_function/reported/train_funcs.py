from torch import nn


def train_step(model, inputs, targets, optimizer):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(inputs), targets)
    loss.backward()
    optimizer.step()
