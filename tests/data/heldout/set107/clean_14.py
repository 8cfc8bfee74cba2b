"""Train the wafer-map defect classifier with Lightning, run batch predictions
on the unlabeled lot, and ship an ONNX file to the fab's inference service."""
import argparse

import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchmetrics
from torch.utils.data import DataLoader, TensorDataset

NUM_CLASSES = 9


class WaferNet(L.LightningModule):
    def __init__(self, lr=3e-4, num_classes=NUM_CLASSES):
        super().__init__()
        self.save_hyperparameters()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Linear(128, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, num_classes))
        self.val_acc = torchmetrics.Accuracy(task="multiclass", num_classes=num_classes)
        self.test_acc = torchmetrics.Accuracy(task="multiclass", num_classes=num_classes)

    def forward(self, x):
        return self.head(self.features(x))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_acc(logits.argmax(1), y)
        self.log("val_acc", self.val_acc, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.test_acc(self(x).argmax(1), y)
        self.log("test_acc", self.test_acc)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x = batch[0]
        return self(x).softmax(dim=1)

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)


def load_split(path):
    data = torch.load(path)
    return TensorDataset(data["maps"].float().unsqueeze(1), data["labels"].long())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", default="data/wm811k_train.pt")
    parser.add_argument("--val", default="data/wm811k_val.pt")
    parser.add_argument("--test", default="data/wm811k_test.pt")
    parser.add_argument("--unlabeled", default="data/lot_4711.pt")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--onnx", default="wafernet.onnx")
    args = parser.parse_args()

    train_loader = DataLoader(load_split(args.train), batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(load_split(args.val), batch_size=256, num_workers=4)
    test_loader = DataLoader(load_split(args.test), batch_size=256, num_workers=4)

    model = WaferNet()
    trainer = L.Trainer(max_epochs=args.epochs, accelerator="auto", log_every_n_steps=20)
    trainer.fit(model, train_loader, val_loader)
    trainer.test(model, test_loader)

    lot = torch.load(args.unlabeled)["maps"].float().unsqueeze(1)
    probs = torch.cat(trainer.predict(model, DataLoader(TensorDataset(lot), batch_size=256)))
    print("predicted class histogram:", torch.bincount(probs.argmax(1), minlength=NUM_CLASSES).tolist())

    model = model.cpu()
    model.eval()
    sample = torch.randn(1, 1, 64, 64)
    torch.onnx.export(model, sample, args.onnx, input_names=["wafer_map"], output_names=["logits"], dynamic_axes={"wafer_map": {0: "batch"}, "logits": {0: "batch"}})
    print("exported", args.onnx)


if __name__ == "__main__":
    main()
