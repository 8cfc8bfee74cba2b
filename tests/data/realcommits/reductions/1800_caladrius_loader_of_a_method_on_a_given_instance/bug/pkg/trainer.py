import torch

from pkg.net import Siamese


class Trainer(object):
    def __init__(self):
        self.model = Siamese()
        self.criterion = torch.nn.MSELoss()
        self.optimizer = torch.optim.Adam(self.model.parameters())

    def run_epoch(self, loader, phase="train"):
        self.model.eval()
        if phase == "train":
            self.model.train()
        for left, right, labels in loader:
            with torch.set_grad_enabled(phase == "train"):
                loss = self.criterion(self.model(left, right).squeeze(), labels)
                if phase == "train":
                    self.optimizer.zero_grad()
                    loss.backward()
                    self.optimizer.step()

    def train(self, n_epochs, datasets):
        train_set, train_loader = datasets.load("train")
        for epoch in range(n_epochs):
            self.run_epoch(train_loader, phase="train")
