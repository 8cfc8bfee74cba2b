"""Lightning version of the small CIFAR CNN: Lightning manages train/eval mode itself."""
import argparse

import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader, random_split


def conv_bn(cin, cout, pool=False):
    layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class ResNet9(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.prep = conv_bn(3, 64)
        self.layer1 = conv_bn(64, 128, pool=True)
        self.res1 = nn.Sequential(conv_bn(128, 128), conv_bn(128, 128))
        self.layer2 = conv_bn(128, 256, pool=True)
        self.layer3 = conv_bn(256, 512, pool=True)
        self.res3 = nn.Sequential(conv_bn(512, 512), conv_bn(512, 512))
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Linear(512, num_classes, bias=False)

    def forward(self, x):
        x = self.layer1(self.prep(x))
        x = x + self.res1(x)
        x = self.layer3(self.layer2(x))
        x = x + self.res3(x)
        return self.fc(self.pool(x).flatten(1)) * 0.125


class LitResNet9(pl.LightningModule):
    def __init__(self, lr=0.05, batch_size=256, data_dir="./data"):
        super().__init__()
        self.save_hyperparameters()
        self.net = ResNet9()

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.2)
        self.log("train/acc", (logits.argmax(1) == y).float().mean(), prog_bar=True)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val/loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val/acc", (logits.argmax(1) == y).float().mean(), prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test/acc", (self(x).argmax(1) == y).float().mean())

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return self(x).softmax(-1)

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9,
                              nesterov=True, weight_decay=5e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=self.hparams.lr, total_steps=self.trainer.estimated_stepping_batches)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def setup(self, stage=None):
        norm = T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
        train_tf = T.Compose([T.RandomCrop(32, 4, padding_mode="reflect"), T.RandomHorizontalFlip(),
                              T.ToTensor(), norm])
        full = torchvision.datasets.CIFAR10(self.hparams.data_dir, train=True, download=True,
                                            transform=train_tf)
        self.train_set, self.val_set = random_split(full, [45000, 5000],
                                                    generator=torch.Generator().manual_seed(0))
        self.test_set = torchvision.datasets.CIFAR10(self.hparams.data_dir, train=False,
                                                     download=True, transform=T.Compose([T.ToTensor(), norm]))

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True,
                          num_workers=8, drop_last=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=512, num_workers=8)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=512, num_workers=8)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=24)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.05)
    args = ap.parse_args()

    model = LitResNet9(lr=args.lr, batch_size=args.batch_size)
    trainer = pl.Trainer(max_epochs=args.epochs, accelerator="auto", devices=1, precision="16-mixed")
    trainer.fit(model)
    trainer.test(model)
    probs = trainer.predict(model, dataloaders=model.test_dataloader())
    print("predicted", sum(p.shape[0] for p in probs), "test images")
