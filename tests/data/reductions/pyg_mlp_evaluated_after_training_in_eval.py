import torch
from torch_geometric.nn import MLP


class SharedMLP(MLP):
    def __init__(self, *args, **kwargs):
        kwargs["plain_last"] = False
        super().__init__(*args, **kwargs)


class Net(torch.nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.mlp = SharedMLP([3, 64, 128])
        self.head = MLP([128, 64, num_classes])

    def forward(self, data):
        return self.head(self.mlp(data.x))


def train(model, loader, optimizer):
    model.train()
    for data in loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(data), data.y)
        loss.backward()
        optimizer.step()


def test(model, loader):
    model.eval()
    correct = 0
    for data in loader:
        with torch.no_grad():
            pred = model(data).max(1)[1]
        correct += pred.eq(data.y).sum().item()
    return correct / len(loader.dataset)


def main(train_loader, test_loader):
    model = Net(10)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    for epoch in range(1, 201):
        train(model, train_loader, optimizer)
        print(test(model, test_loader))
