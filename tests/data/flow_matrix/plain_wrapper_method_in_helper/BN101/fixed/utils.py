import torch


def evaluate(model, loader):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            output = model.forward(x)
            correct += (output.argmax(1) == y).sum().item()
    return correct
