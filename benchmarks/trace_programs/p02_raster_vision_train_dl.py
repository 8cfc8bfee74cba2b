# Modelled on: https://github.com/azavea/raster-vision/pull/1029 ("Set drop_last = True in train dataloader":
# a chip-classification learner whose train_dl could end with a batch of one).
# Bug: BN302. The learner builds its loaders in a method; 65 chips in batches of 8.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse


class ChipClassifier(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.body(x)), 1))


class Learner:
    def __init__(self, cfg):
        self.cfg = cfg
        self.model = ChipClassifier()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg["lr"])

    def setup_data(self):
        train_ds = TensorDataset(torch.randn(65, 3, 32, 32), torch.randint(0, 3, (65,)))
        self.train_dl = DataLoader(train_ds, shuffle=True, batch_size=self.cfg["batch_sz"], num_workers=0)

    def train_epoch(self, budget):
        self.model.train()
        for x, y in self.train_dl:
            loss = nn.functional.cross_entropy(self.model(x), y)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            budget[0] -= 1
            if budget[0] <= 0:
                return

    def train(self, steps):
        budget = [steps]
        for epoch in range(self.cfg["num_epochs"]):
            self.train_epoch(budget)
            if budget[0] <= 0:
                return


if __name__ == "__main__":
    args = parse()
    learner = Learner({"lr": 1e-3, "batch_sz": 8, "num_epochs": 20})
    learner.setup_data()
    with Clock():
        learner.train(args.steps)
