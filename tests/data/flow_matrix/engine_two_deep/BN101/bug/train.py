import torch
from torch.utils.data import DataLoader, TensorDataset

from engine import train_one_epoch
from models import Net


def evaluate(model, loader):
    correct = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
    return correct / len(loader.dataset)


def main():
    train_set = TensorDataset(torch.randn(512, 3, 32, 32), torch.randint(0, 10, (512,)))
    test_set = TensorDataset(torch.randn(128, 3, 32, 32), torch.randint(0, 10, (128,)))
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=64)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
    print("accuracy", evaluate(model, test_loader))


if __name__ == "__main__":
    main()
