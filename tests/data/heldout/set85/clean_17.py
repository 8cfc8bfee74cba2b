import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchmetrics.classification import MulticlassAccuracy
from torchvision import transforms
from torchvision.datasets import FashionMNIST


class FashionCNN(L.LightningModule):
    def __init__(self, lr: float = 1e-3, batch_size: int = 64, data_dir: str = "./data"):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(256, 10),
        )
        self.val_acc = MulticlassAccuracy(num_classes=10)
        self.test_acc = MulticlassAccuracy(num_classes=10)

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val/loss", F.cross_entropy(logits, y))
        self.val_acc.update(logits.argmax(dim=1), y)

    def on_validation_epoch_end(self):
        self.log("val/acc", self.val_acc.compute(), prog_bar=True)
        self.val_acc.reset()

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.test_acc.update(self(x).argmax(dim=1), y)

    def on_test_epoch_end(self):
        self.log("test/acc", self.test_acc.compute())
        self.test_acc.reset()

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return torch.softmax(self(x), dim=1)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)
        return [opt], [sched]

    # --- data -------------------------------------------------------------------
    def _ds(self, train):
        tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.286,), (0.353,))])
        return FashionMNIST(self.hparams.data_dir, train=train, download=True, transform=tf)

    def train_dataloader(self):
        return DataLoader(self._ds(True), batch_size=self.hparams.batch_size, shuffle=True, num_workers=4)

    def val_dataloader(self):
        return DataLoader(self._ds(False), batch_size=256, num_workers=4)

    def test_dataloader(self):
        return self.val_dataloader()

    def predict_dataloader(self):
        return self.val_dataloader()


if __name__ == "__main__":
    model = FashionCNN()
    trainer = L.Trainer(max_epochs=15, accelerator="auto", devices=1)
    trainer.fit(model)
    trainer.test(model)
    probs = torch.cat(trainer.predict(model))
    print(probs.shape)
