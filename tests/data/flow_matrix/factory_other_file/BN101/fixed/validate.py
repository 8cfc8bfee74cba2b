import torch

from factory import create_model


def validate(weights, loader):
    model = create_model("net", 10)
    model.load_state_dict(torch.load(weights))
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
    return correct / len(loader.dataset)
