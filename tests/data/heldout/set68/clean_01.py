"""Lightning fine-tuning of a pretrained encoder on a small retinal-image set.

For the first epochs the encoder is frozen: its weights get no gradient and
its BatchNorm layers use the running statistics from pretraining. The
validation loop switches module modes around, so the freeze (and the later
unfreeze) is (re)applied in ``on_train_epoch_start``.
"""
import argparse

import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics.classification import BinaryAUROC


def stage(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(stage(3, 32), stage(32, 64), stage(64, 128), stage(128, 256))

    def forward(self, x):
        return F.adaptive_avg_pool2d(self.blocks(x), 1).flatten(1)


class RetinaClassifier(L.LightningModule):
    def __init__(self, encoder_ckpt=None, freeze_epochs=4, lr=3e-4):
        super().__init__()
        self.save_hyperparameters()
        self.encoder = Encoder()
        if encoder_ckpt:
            self.encoder.load_state_dict(torch.load(encoder_ckpt, map_location="cpu"))
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(256, 1))
        self.val_auc = BinaryAUROC()
        self.test_auc = BinaryAUROC()

    def forward(self, x):
        return self.head(self.encoder(x)).squeeze(-1)

    def on_train_epoch_start(self):
        if self.current_epoch < self.hparams.freeze_epochs:
            self.encoder.requires_grad_(False)
            for m in self.encoder.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        else:
            self.encoder.requires_grad_(True)
            self.encoder.train()

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.binary_cross_entropy_with_logits(logits, y.float())
        with torch.no_grad():
            acc = ((logits > 0).long() == y).float().mean()
        self.log_dict({"train_loss": loss, "train_acc": acc}, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_auc(torch.sigmoid(logits), y)
        self.log("val_loss", F.binary_cross_entropy_with_logits(logits, y.float()), prog_bar=True)
        self.log("val_auc", self.val_auc, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.test_auc(torch.sigmoid(self(x)), y)
        self.log("test_auc", self.test_auc)

    @torch.no_grad()
    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x = batch[0]
        probs = torch.sigmoid(self(x))
        flipped = torch.sigmoid(self(torch.flip(x, dims=[3])))
        return (probs + flipped) / 2

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=0.01)


def fundus(n, seed):
    g = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.rand(n, 3, 96, 96, generator=g), torch.randint(0, 2, (n,), generator=g))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--encoder-ckpt", default=None)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    train = DataLoader(fundus(1600, 0), batch_size=args.batch_size, shuffle=True, num_workers=4)
    val = DataLoader(fundus(400, 1), batch_size=64, num_workers=4)
    test = DataLoader(fundus(400, 2), batch_size=64, num_workers=4)

    model = RetinaClassifier(encoder_ckpt=args.encoder_ckpt)
    trainer = L.Trainer(
        max_epochs=args.epochs,
        precision="16-mixed" if torch.cuda.is_available() else 32,
        callbacks=[
            ModelCheckpoint(monitor="val_auc", mode="max"),
            EarlyStopping(monitor="val_auc", mode="max", patience=6),
        ],
    )
    trainer.fit(model, train, val)
    trainer.test(model, test, ckpt_path="best")
    scores = torch.cat(trainer.predict(model, DataLoader(TensorDataset(fundus(64, 3).tensors[0]), batch_size=16)))
    print("referable fraction:", (scores > 0.5).float().mean().item())


if __name__ == "__main__":
    main()
