import torch
from torch.utils.data import DataLoader, TensorDataset

from engine import train_one_epoch
from models import Net


def main():
    train_set = TensorDataset(torch.randn(512, 3, 32, 32), torch.randint(0, 10, (512,)))
    val_set = TensorDataset(torch.randn(128, 3, 32, 32), torch.randint(0, 10, (128,)))
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=64)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(1) == y).sum().item() for x, y in val_loader)
        print(epoch, correct / len(val_set))


if __name__ == "__main__":
    main()
