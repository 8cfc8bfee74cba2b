"""PyTorch Lightning module for leaf-disease image classification.

Lightning switches the module to eval mode for validation/test/predict loops,
so those steps call `self(...)` without touching the mode themselves.
"""
import lightning.pytorch as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

from leaf_data import LeafDataModule  # project-local LightningDataModule


class LeafClassifier(pl.LightningModule):
    def __init__(self, num_classes=12, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(128, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        self.log("train_loss", loss)
        self.log("train_acc", (logits.argmax(dim=1) == y).float().mean(), prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val_acc", (logits.argmax(dim=1) == y).float().mean(), prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        preds = self(x).argmax(dim=1)
        self.log("test_acc", (preds == y).float().mean())

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        return self(x).softmax(dim=1)

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-4)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.trainer.max_epochs)
        return [optimizer], [scheduler]


def main():
    dm = LeafDataModule("data/leaves", batch_size=64)
    model = LeafClassifier()
    trainer = pl.Trainer(
        max_epochs=40,
        callbacks=[EarlyStopping("val_loss", patience=6), ModelCheckpoint(monitor="val_acc", mode="max")],
    )
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm, ckpt_path="best")
    predictions = trainer.predict(model, datamodule=dm)
    probs = torch.cat(predictions)
    torch.save(probs, "leaf_test_probs.pt")

    best = LeafClassifier.load_from_checkpoint(trainer.checkpoint_callback.best_model_path)
    best.eval()
    best.to_onnx("leaf_classifier.onnx", torch.randn(1, 3, 128, 128), export_params=True)


if __name__ == "__main__":
    main()
