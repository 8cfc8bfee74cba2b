# tabular classifier with pytorch lightning (wine quality, good/bad)
# first time using lightning, copied the structure from the docs
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
import pytorch_lightning as pl
from torch.utils.data import TensorDataset, DataLoader, random_split
import matplotlib.pyplot as plt

df = pd.read_csv("winequality-red.csv", sep=";")
X = torch.tensor(df.drop(columns=["quality"]).values, dtype=torch.float32)
y = torch.tensor((df["quality"] >= 6).values, dtype=torch.long)
X = (X - X.mean(0)) / X.std(0)
print(X.shape, y.float().mean())

full = TensorDataset(X, y)
n_val = int(0.15 * len(full))
n_test = int(0.15 * len(full))
train_ds, val_ds, test_ds = random_split(full, [len(full) - n_val - n_test, n_val, n_test])


class WineNet(pl.LightningModule):
    def __init__(self, n_in=11, hidden=64, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Linear(n_in, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(hidden, hidden // 2, bias=False),
            nn.BatchNorm1d(hidden // 2),
            nn.ReLU(),
            nn.Linear(hidden // 2, 2),
        )
        self.val_accs = []

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        xb, yb = batch
        loss = F.cross_entropy(self(xb), yb)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        xb, yb = batch
        logits = self(xb)
        acc = (logits.argmax(1) == yb).float().mean()
        self.log("val_acc", acc, prog_bar=True)
        self.val_accs.append(acc.item())

    def test_step(self, batch, batch_idx):
        xb, yb = batch
        acc = (self(xb).argmax(1) == yb).float().mean()
        self.log("test_acc", acc)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


model = WineNet()
trainer = pl.Trainer(max_epochs=40, log_every_n_steps=10)
trainer.fit(model,
            DataLoader(train_ds, batch_size=64, shuffle=True, drop_last=True),
            DataLoader(val_ds, batch_size=128))
trainer.test(model, DataLoader(test_ds, batch_size=128))

plt.plot(model.val_accs)
plt.title("val acc per val batch")
plt.show()

# try a few wines by hand
model.eval()
with torch.no_grad():
    probs = F.softmax(model(X[:5]), dim=1)
print(probs)
print("true:", y[:5])
