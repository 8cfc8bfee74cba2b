import torch
import torch.nn.functional as F

from nets import Net


def main(train_loader, val_loader, epochs=10):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def train_epoch():
        model.train()
        for images, labels in train_loader:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def validate():
        with torch.no_grad():
            hits = [(model(x).argmax(1) == y).float().mean() for x, y in val_loader]
        return sum(hits) / len(hits)

    for epoch in range(epochs):
        train_epoch()
        print(epoch, validate())
