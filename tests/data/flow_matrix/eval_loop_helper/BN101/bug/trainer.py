import torch

from networks import Generator


class Trainer:
    def __init__(self, train_loader, val_loader):
        self.G = Generator()
        self.opt = torch.optim.Adam(self.G.parameters())
        self.train_loader = train_loader
        self.val_loader = val_loader

    def reconstruction_loss(self, batch):
        z = self.G.encode(batch)
        return (self.G.decoder(z) - batch).abs().mean()

    def generator_loss(self, batch):
        loss = self.reconstruction_loss(batch)
        return loss

    def update(self, batch):
        self.opt.zero_grad()
        loss = self.generator_loss(batch)
        loss.backward()
        self.opt.step()

    def validate(self):
        total = 0.0
        for batch in self.val_loader:
            total += self.generator_loss(batch).item()
        return total / len(self.val_loader)

    def train(self, epochs):
        for epoch in range(epochs):
            self.G.train()
            for batch in self.train_loader:
                self.update(batch)
            print(epoch, self.validate())
