import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader


def fit(model, dataset, epochs=10):
    optimizer = torch.optim.Adam(model.parameters())

    def make_loader():
        return DataLoader(dataset, batch_size=32, shuffle=True)

    def one_epoch(loader):
        model.train()
        for images, labels in loader:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    for epoch in range(epochs):
        one_epoch(make_loader())


if __name__ == "__main__":
    from nets import Net
    fit(Net(), torch.load("train_set.pt"))
