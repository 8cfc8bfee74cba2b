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

    def _accuracy(self, batch):
        x, y = batch
        with torch.no_grad():
            out = self.main_net(x)
        return (out.argmax(1) == y).float().mean()

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(self.main_net(x), y)

    def validation_step(self, batch, batch_idx):
        self.log("acc", self._accuracy(batch))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


if __name__ == "__main__":
    pl.Trainer(max_epochs=1).fit(Classifier())
