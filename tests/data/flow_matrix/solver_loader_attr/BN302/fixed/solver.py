import torch
import torch.nn.functional as F


class Solver:
    def __init__(self, model, train_loader, test_loader, lr=0.01):
        self.model = model
        self.train_loader = train_loader
        self.test_loader = test_loader
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def train_epoch(self):
        self.model.train()
        for images, labels in self.train_loader:
            loss = F.cross_entropy(self.model(images), labels)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def test(self):
        correct = 0
        self.model.eval()
        with torch.no_grad():
            for images, labels in self.test_loader:
                correct += (self.model(images).argmax(1) == labels).sum().item()
        return correct / len(self.test_loader.dataset)
