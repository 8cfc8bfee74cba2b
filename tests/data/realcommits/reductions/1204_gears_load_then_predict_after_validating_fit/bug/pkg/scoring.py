import torch


def evaluate(loader, model):
    model.eval()
    outs = []
    with torch.no_grad():
        for batch in loader:
            outs.append(model(batch))
    return outs
