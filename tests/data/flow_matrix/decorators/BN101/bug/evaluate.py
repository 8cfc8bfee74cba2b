import torch

from nets import Net
from utils import timed


@timed
@torch.no_grad()
def evaluate(model, loader):
    correct = 0
    for images, labels in loader:
        correct += (model(images).argmax(1) == labels).sum().item()
    return correct / len(loader.dataset)


if __name__ == "__main__":
    model = Net()
    model.load_state_dict(torch.load("net.pt"))
    print(evaluate(model, torch.load("test_loader.pt")))
