import torch
import torch.nn as nn
import pytorch_lightning as pl


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x)).mean((2, 3))


class Classifier(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.main_net = Backbone()
        self.opt = torch.optim.SGD(self.main_net.parameters(), lr=0.1)

    def _process_epoch(self, loader, mode="train"):
        total = 0.0
        for x, y in loader:
            if mode == "train":
                loss = nn.functional.cross_entropy(self.main_net(x), y)
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
            else:
                with torch.no_grad():
                    out = self.main_net(x)
                total += (out.argmax(1) == y).float().sum().item()
        return total

    def fit(self, epochs, train_loader, test_loader):
        for _ in range(epochs):
            self.main_net.train()
            self._process_epoch(train_loader)
            self.main_net.eval()
            self._process_epoch(test_loader, "test")


if __name__ == "__main__":
    clf = Classifier()
    clf.fit(10, [], [])
