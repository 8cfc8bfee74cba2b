import torch
from torch.utils.data import DataLoader, TensorDataset

from engine import train_one_epoch
from models import Net


def main():
    train_set = TensorDataset(torch.randn(512, 3, 32, 32), torch.randint(0, 10, (512,)))
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        print(epoch, train_one_epoch(model, train_loader, optimizer))
    torch.save(model.state_dict(), "net.pt")


if __name__ == "__main__":
    main()
