from torch import nn
from pytorch_lightning import LightningModule


class LinearClassifier(LightningModule):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.head = nn.Linear(8, 2)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(self.head(self.model(x)), y)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(self.head(self.model(x)), y)

    def on_train_start(self):
        self.model.eval()
        for p in self.model.parameters():
            p.requires_grad = False


backbone = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
