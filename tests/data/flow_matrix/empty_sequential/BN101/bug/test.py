import torch

from builder import build_classifier


def test_accuracy(checkpoint, loader):
    net = build_classifier()
    net.load_state_dict(torch.load(checkpoint))
    correct = 0
    for images, labels in loader:
        with torch.no_grad():
            correct += (net(images).argmax(1) == labels).sum().item()
    return correct / len(loader.dataset)
