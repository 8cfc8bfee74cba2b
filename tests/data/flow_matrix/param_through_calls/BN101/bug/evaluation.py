import torch


def predict_batch(model, images):
    with torch.no_grad():
        return model(images).argmax(1)


def score(model, loader):
    return sum((predict_batch(model, x) == y).sum().item() for x, y in loader)


def report(model, loader):
    print("correct:", score(model, loader))
