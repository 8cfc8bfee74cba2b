import torch


class Metrics:
    @staticmethod
    def accuracy(model, loader):
        correct = 0
        with torch.no_grad():
            for images, labels in loader:
                correct += (model(images).argmax(1) == labels).sum().item()
        return correct / len(loader.dataset)
