"""Fashion-MNIST classifier with PyTorch Lightning."""
import lightning.pytorch as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, random_split
from torchmetrics.classification import MulticlassAccuracy
from torchvision import datasets, transforms


class FashionDataModule(pl.LightningDataModule):
    def __init__(self, data_dir: str = "./data", batch_size: int = 128):
        super().__init__()
        self.data_dir = data_dir
        self.batch_size = batch_size
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.286,), (0.353,))])

    def prepare_data(self):
        datasets.FashionMNIST(self.data_dir, train=True, download=True)
        datasets.FashionMNIST(self.data_dir, train=False, download=True)

    def setup(self, stage=None):
        full = datasets.FashionMNIST(self.data_dir, train=True, transform=self.transform)
        self.train_set, self.val_set = random_split(full, [55000, 5000], generator=torch.Generator().manual_seed(0))
        self.test_set = datasets.FashionMNIST(self.data_dir, train=False, transform=self.transform)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True, num_workers=4, drop_last=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=512, num_workers=4)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=512, num_workers=4)

    def predict_dataloader(self):
        return self.test_dataloader()


class LitFashion(pl.LightningModule):
    def __init__(self, lr: float = 1e-3, num_classes: int = 10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(),
            nn.Dropout(0.25),
            nn.Linear(256, num_classes),
        )
        self.val_acc = MulticlassAccuracy(num_classes=num_classes)
        self.test_acc = MulticlassAccuracy(num_classes=num_classes)

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
        self.val_acc(logits.argmax(dim=1), y)
        self.log("val/loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val/acc", self.val_acc, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        preds = self(x).argmax(dim=1)
        self.test_acc(preds, y)
        self.log("test/acc", self.test_acc)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return torch.softmax(self(x), dim=1)

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-4)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.trainer.max_epochs)
        return [optimizer], [scheduler]


if __name__ == "__main__":
    pl.seed_everything(42)
    dm = FashionDataModule()
    model = LitFashion()
    trainer = pl.Trainer(max_epochs=15, accelerator="auto", devices=1, log_every_n_steps=50)
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm)
    probs = torch.cat(trainer.predict(model, datamodule=dm))
    torch.save(probs, "fashion_test_probs.pt")
