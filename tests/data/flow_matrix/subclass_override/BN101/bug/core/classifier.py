import torch.nn as nn


class Classifier(nn.Module):
    """Trains and scores; subclasses define the network and ``predict_proba``."""

    def fit(self, train_loader, dev_loader, optimizer, epochs):
        self.train()
        for epoch in range(epochs):
            for x, y in train_loader:
                loss = nn.functional.cross_entropy(self(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            print(epoch, self.score(dev_loader))

    def score(self, loader):
        correct = 0
        for x, y in loader:
            correct += (self.predict(x) == y).sum().item()
        return correct / len(loader.dataset)

    def predict(self, x):
        return self.predict_proba(x).argmax(1)

    def predict_proba(self, x):
        raise NotImplementedError
