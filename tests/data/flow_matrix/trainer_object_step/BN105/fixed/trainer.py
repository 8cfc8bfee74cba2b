import torch.nn.functional as F


class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def run(self, loader, epochs):
        for epoch in range(epochs):
            self.model.train()
            for clips, labels in loader:
                loss = F.cross_entropy(self.model(clips), labels)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
