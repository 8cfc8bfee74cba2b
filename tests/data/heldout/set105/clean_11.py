"""PyTorch Lightning fine-tuning of ResNet-18 on Oxford-IIIT Pets.

Lightning switches the module to eval for validation/test/predict and back to
train afterwards, so the *_step methods just call the model.
"""
from argparse import ArgumentParser

import lightning as L
import torch
import torch.nn.functional as F
import torchmetrics
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
from torch import nn
from torch.utils.data import DataLoader, random_split
from torchvision import models, transforms
from torchvision.datasets import OxfordIIITPet


class PetClassifier(L.LightningModule):
    def __init__(self, num_classes=37, lr=1e-3, hidden=256):
        super().__init__()
        self.save_hyperparameters()
        backbone = models.resnet18(weights=models.ResNet18_Weights.IMAGENET1K_V1)
        feat_dim = backbone.fc.in_features
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.head = nn.Sequential(
            nn.Linear(feat_dim, hidden, bias=False),
            nn.BatchNorm1d(hidden, eps=1e-3, momentum=0.01),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )
        self.val_acc = torchmetrics.Accuracy(task="multiclass", num_classes=num_classes)
        self.test_acc = torchmetrics.Accuracy(task="multiclass", num_classes=num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_acc(logits.argmax(1), y)
        self.log("val/loss", F.cross_entropy(logits, y))
        self.log("val/acc", self.val_acc, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.test_acc(self(x).argmax(1), y)
        self.log("test/acc", self.test_acc)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return self(x).softmax(dim=1)

    def configure_optimizers(self):
        opt = torch.optim.AdamW([
            {"params": self.backbone.parameters(), "lr": self.hparams.lr * 0.1},
            {"params": self.head.parameters(), "lr": self.hparams.lr},
        ], weight_decay=0.01)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[self.hparams.lr * 0.1, self.hparams.lr], total_steps=self.trainer.estimated_stepping_batches)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


class PetsData(L.LightningDataModule):
    def __init__(self, root="./data", batch_size=64):
        super().__init__()
        self.root, self.batch_size = root, batch_size
        norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        self.train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
        self.test_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm])

    def setup(self, stage=None):
        full = OxfordIIITPet(self.root, split="trainval", transform=self.train_tf, download=True)
        n_val = len(full) // 10
        self.train_set, self.val_set = random_split(full, [len(full) - n_val, n_val], generator=torch.Generator().manual_seed(7))
        self.test_set = OxfordIIITPet(self.root, split="test", transform=self.test_tf, download=True)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True, num_workers=8, drop_last=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=self.batch_size, num_workers=8)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=self.batch_size, num_workers=8)

    def predict_dataloader(self):
        return self.test_dataloader()


def main():
    parser = ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    L.seed_everything(0)
    dm = PetsData(batch_size=args.batch_size)
    model = PetClassifier(lr=args.lr)
    trainer = L.Trainer(
        max_epochs=args.epochs,
        accelerator="auto",
        precision="16-mixed",
        callbacks=[ModelCheckpoint(monitor="val/acc", mode="max"), LearningRateMonitor()],
    )
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm, ckpt_path="best")
    preds = trainer.predict(model, datamodule=dm, ckpt_path="best")
    print(torch.cat(preds).argmax(1)[:20])


if __name__ == "__main__":
    main()
