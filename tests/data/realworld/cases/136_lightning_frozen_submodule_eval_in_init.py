import pytorch_lightning as pl
import torch
import torch.nn as nn
import torchvision


class FeatureExtractorClassifier(pl.LightningModule):
    def __init__(self, num_classes=10):
        super().__init__()
        backbone = torchvision.models.resnet18(weights="IMAGENET1K_V1")
        backbone.fc = nn.Identity()
        self.backbone = backbone
        # keep the pretrained feature extractor completely frozen
        self.backbone.eval()
        for p in self.backbone.parameters():
            p.requires_grad = False
        self.classifier = nn.Linear(512, num_classes)

    def forward(self, x):
        with torch.no_grad():
            feats = self.backbone(x)
        return self.classifier(feats)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_acc", (self(x).argmax(1) == y).float().mean())

    def configure_optimizers(self):
        return torch.optim.Adam(self.classifier.parameters(), lr=1e-3)


if __name__ == "__main__":
    model = FeatureExtractorClassifier()
    trainer = pl.Trainer(max_epochs=10)
    trainer.fit(model, train_dataloaders=torch.load("train_dl.pt"), val_dataloaders=torch.load("val_dl.pt"))
