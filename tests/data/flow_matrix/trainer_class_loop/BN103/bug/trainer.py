import torch
import torch.nn.functional as F


class Trainer:
    def __init__(self, model, train_loader, val_loader, epochs=10):
        self.model = model
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.epochs = epochs
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def validate(self):
        self.model.eval()
        with torch.no_grad():
            return sum((self.model(x).argmax(1) == y).sum().item() for x, y in self.val_loader)

    def fit(self):
        for epoch in range(self.epochs):
            for images, labels in self.train_loader:
                loss = F.cross_entropy(self.model(images), labels)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            print(epoch, self.validate())
