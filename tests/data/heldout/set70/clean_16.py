"""Lightning: do I have to call self.eval() in validation_step?

Time-series classifier (accelerometer windows, 128 steps x 64 features after
embedding) with a Transformer encoder and a BatchNorm1d over the feature
channels. I never call model.eval() myself anywhere and my val metrics look
plausible. Is Lightning really switching modes for me, and is BatchNorm1d
applied to the right axis here?
"""
import lightning.pytorch as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchmetrics
from torch.utils.data import DataLoader

from har_data import HARWindows

SEQ_LEN = 128
D_MODEL = 64


class HARTransformer(pl.LightningModule):
    def __init__(self, in_channels=6, num_classes=6, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.embed = nn.Conv1d(in_channels, D_MODEL, kernel_size=5, padding=2, bias=False)
        self.embed_bn = nn.BatchNorm1d(D_MODEL)
        layer = nn.TransformerEncoderLayer(D_MODEL, nhead=4, dim_feedforward=128,
                                           dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=3)
        self.out_bn = nn.BatchNorm1d(D_MODEL)
        self.fc = nn.Linear(D_MODEL, num_classes)
        self.val_acc = torchmetrics.Accuracy(task="multiclass", num_classes=num_classes)
        self.test_acc = torchmetrics.Accuracy(task="multiclass", num_classes=num_classes)

    def forward(self, x):
        h = F.gelu(self.embed_bn(self.embed(x.transpose(1, 2))))
        h = self.encoder(h.transpose(1, 2))
        h = self.out_bn(h.permute(0, 2, 1))
        return self.fc(h.mean(dim=2))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True)
        self.val_acc(logits.argmax(dim=1), y)
        self.log("val_acc", self.val_acc, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.test_acc(self(x).argmax(dim=1), y)
        self.log("test_acc", self.test_acc)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, _ = batch
        return self(x).softmax(dim=1)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-2)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)
        return [opt], [sched]


if __name__ == "__main__":
    train_dl = DataLoader(HARWindows("data/har", "train", SEQ_LEN), batch_size=64,
                          shuffle=True, num_workers=4, drop_last=True)
    val_dl = DataLoader(HARWindows("data/har", "val", SEQ_LEN), batch_size=256, num_workers=4)
    test_dl = DataLoader(HARWindows("data/har", "test", SEQ_LEN), batch_size=256, num_workers=4)

    model = HARTransformer()
    trainer = pl.Trainer(max_epochs=40, accelerator="auto", log_every_n_steps=20)
    trainer.fit(model, train_dl, val_dl)
    trainer.test(model, test_dl)
    probs = trainer.predict(model, test_dl)
    print(torch.cat(probs).argmax(dim=1)[:20])
