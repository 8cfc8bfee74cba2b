"""Click-through prediction from user event sequences (Lightning).

Inputs: a sequence of item ids (N, L) plus dense per-event features
(N, L, F). BatchNorm over the feature axis is applied with the channel
dimension moved to dim 1 (or with batch and time flattened together).
"""
import argparse

import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics.classification import BinaryAUROC

SEQ_LEN = 32
EMB = 32
N_DENSE = 16


class SequenceCTR(L.LightningModule):
    def __init__(self, n_items=50000, hidden=64, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.item_emb = nn.Embedding(n_items, EMB, padding_idx=0)
        self.emb_norm = nn.BatchNorm1d(EMB)
        self.dense_proj = nn.Linear(N_DENSE, EMB, bias=False)
        self.dense_norm = nn.BatchNorm1d(EMB, affine=False)
        self.conv = nn.Conv1d(2 * EMB, hidden, kernel_size=3, padding=1, bias=False)
        self.conv_norm = nn.BatchNorm1d(hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.gru_norm = nn.BatchNorm1d(hidden)
        self.out = nn.Sequential(nn.Linear(hidden, 32, bias=False), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 1))
        self.val_auc = BinaryAUROC()

    def forward(self, items, dense):
        n, l = items.shape
        e = self.item_emb(items)                                   # (N, L, EMB)
        e = self.emb_norm(e.permute(0, 2, 1))                      # (N, EMB, L)
        d = self.dense_proj(dense)                                 # (N, L, EMB)
        d = self.dense_norm(d.reshape(n * l, EMB)).view(n, l, EMB)
        h = torch.cat([e, d.transpose(1, 2)], dim=1)               # (N, 2*EMB, L)
        h = F.relu(self.conv_norm(self.conv(h)))                   # (N, hidden, L)
        seq, _ = self.gru(h.transpose(1, 2))                       # (N, L, hidden)
        seq = self.gru_norm(seq.transpose(1, 2)).transpose(1, 2)
        pooled = seq.max(dim=1).values
        return self.out(pooled).squeeze(-1)

    def training_step(self, batch, batch_idx):
        items, dense, y = batch
        logits = self(items, dense)
        loss = F.binary_cross_entropy_with_logits(logits, y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        items, dense, y = batch
        probs = torch.sigmoid(self(items, dense))
        self.val_auc(probs, y.long())
        self.log("val_auc", self.val_auc, prog_bar=True)

    def test_step(self, batch, batch_idx):
        items, dense, y = batch
        probs = torch.sigmoid(self(items, dense))
        self.log("test_logloss", F.binary_cross_entropy(probs, y))

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        items, dense = batch[:2]
        return torch.sigmoid(self(items, dense))

    def configure_optimizers(self):
        sparse = list(self.item_emb.parameters())
        dense = [p for n, p in self.named_parameters() if not n.startswith("item_emb")]
        return torch.optim.Adam([{"params": sparse, "lr": self.hparams.lr * 3}, {"params": dense}],
                                lr=self.hparams.lr)


def sessions(n, seed):
    g = torch.Generator().manual_seed(seed)
    items = torch.randint(1, 50000, (n, SEQ_LEN), generator=g)
    dense = torch.randn(n, SEQ_LEN, N_DENSE, generator=g)
    y = (torch.rand(n, generator=g) < 0.12).float()
    return TensorDataset(items, dense, y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=512)
    args = parser.parse_args()

    train = DataLoader(sessions(100000, 0), batch_size=args.batch_size, shuffle=True, num_workers=4)
    val = DataLoader(sessions(10000, 1), batch_size=2048)
    test = DataLoader(sessions(10001, 2), batch_size=2000)

    model = SequenceCTR()
    trainer = L.Trainer(max_epochs=args.epochs, accelerator="auto", gradient_clip_val=5.0)
    trainer.fit(model, train, val)
    trainer.test(model, test)
    preds = torch.cat(trainer.predict(model, test))
    print("mean predicted CTR:", preds.mean().item())


if __name__ == "__main__":
    main()
