# Entity-embedding MLP for a tabular competition, written with PyTorch Lightning.
import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

pl.seed_everything(2024)

CAT_CARDINALITIES = [12, 7, 31, 50, 4]
EMB_DIM = 8
N_NUM = 10
N_TRAIN = 10001
N_VALID = 2001
BATCH_SIZE = 100


def make_split(n):
    cats = torch.stack([torch.randint(0, c, (n,)) for c in CAT_CARDINALITIES], dim=1)
    nums = torch.randn(n, N_NUM)
    logit = nums[:, 0] - 0.5 * nums[:, 1] + (cats[:, 0] % 3 == 0).float()
    target = (logit + 0.3 * torch.randn(n) > 0).float()
    return TensorDataset(cats, nums, target)


train_ds = make_split(N_TRAIN)
valid_ds = make_split(N_VALID)
test_ds = make_split(N_VALID)


class EmbeddingMLP(pl.LightningModule):
    def __init__(self, lr=3e-3):
        super().__init__()
        self.save_hyperparameters()
        self.embeddings = nn.ModuleList([nn.Embedding(c, EMB_DIM) for c in CAT_CARDINALITIES])
        n_cat = len(CAT_CARDINALITIES)
        self.emb_bn = nn.BatchNorm1d(n_cat * EMB_DIM)
        self.num_bn = nn.BatchNorm1d(N_NUM)
        self.mlp = nn.Sequential(
            nn.Linear(n_cat * EMB_DIM + N_NUM, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(256, 64),
            nn.ReLU(),
            nn.BatchNorm1d(64),
            nn.Linear(64, 1),
        )

    def forward(self, cats, nums):
        emb = torch.stack([e(cats[:, i]) for i, e in enumerate(self.embeddings)], dim=1)
        emb = emb.view(emb.size(0), -1)
        x = torch.cat([self.emb_bn(emb), self.num_bn(nums)], dim=1)
        return self.mlp(x).squeeze(1)

    def training_step(self, batch, batch_idx):
        cats, nums, y = batch
        loss = F.binary_cross_entropy_with_logits(self(cats, nums), y)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        cats, nums, y = batch
        logits = self(cats, nums)
        loss = F.binary_cross_entropy_with_logits(logits, y)
        acc = ((logits > 0).float() == y).float().mean()
        self.log_dict({"val_loss": loss, "val_acc": acc}, prog_bar=True)

    def test_step(self, batch, batch_idx):
        cats, nums, y = batch
        preds = (self(cats, nums) > 0).float()
        self.log("test_acc", (preds == y).float().mean())

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        cats, nums, _ = batch
        return torch.sigmoid(self(cats, nums))

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.hparams.lr, total_steps=self.trainer.estimated_stepping_batches)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True, num_workers=2)
valid_loader = DataLoader(valid_ds, batch_size=BATCH_SIZE, num_workers=2)
test_loader = DataLoader(test_ds, batch_size=BATCH_SIZE, num_workers=2)

model = EmbeddingMLP()
trainer = pl.Trainer(max_epochs=20, accelerator="auto", devices=1, log_every_n_steps=20)
trainer.fit(model, train_dataloaders=train_loader, val_dataloaders=valid_loader)
trainer.test(model, dataloaders=test_loader)
probs = torch.cat(trainer.predict(model, dataloaders=test_loader))
np.save("test_probs.npy", probs.numpy())
print(probs[:10])
