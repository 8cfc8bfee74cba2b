import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F

from backbone import Backbone


class LinearProbe(pl.LightningModule):
    def __init__(self, num_classes=10):
        super().__init__()
        self.backbone = Backbone()
        self.backbone.load_state_dict(torch.load("ssl_backbone.pt"))
        self.backbone.requires_grad_(False)
        self.head = nn.Linear(self.backbone.out_features, num_classes)

    def training_step(self, batch, batch_idx):
        images, labels = batch
        loss = F.cross_entropy(self.head(self.backbone(images)), labels)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.head.parameters(), lr=1e-3)

    def on_train_epoch_start(self):
        self.backbone.eval()
