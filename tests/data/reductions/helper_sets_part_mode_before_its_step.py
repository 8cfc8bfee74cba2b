import copy

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 16, bias=False)
        self.bn = nn.BatchNorm1d(16)

    def forward(self, x):
        return self.bn(self.fc(x))


class Trainer(object):
    def __init__(self):
        self.model = Net()
        self.criterion = nn.MSELoss()
        self.optimizer = torch.optim.Adam(self.model.parameters())

    def run_epoch(self, loader, device, phase="train"):
        self.model = self.model.to(device)
        self.model.eval()
        if phase == "train":
            self.model.train()
        for x, y in loader:
            with torch.set_grad_enabled(phase == "train"):
                loss = self.criterion(self.model(x).sum(1), y)
                if phase == "train":
                    self.optimizer.zero_grad()
                    loss.backward()
                    self.optimizer.step()

    def train(self, n_epochs, train_loader, validation_loader, device):
        best = copy.deepcopy(self.model.state_dict())
        for epoch in range(n_epochs):
            self.run_epoch(train_loader, device, phase="train")
            self.run_epoch(validation_loader, device, phase="validation")
            best = copy.deepcopy(self.model.state_dict())
        return best
