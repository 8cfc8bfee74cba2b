# Lightning 2.1: predictions from trainer.predict() differ from a manual
# inference loop by a handful of samples. Minimal repro below.
import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class LitClassifier(L.LightningModule):
    def __init__(self, hidden: int = 64):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Linear(32, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, 4),
        )

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def predict_step(self, batch, batch_idx):
        return self(batch[0]).argmax(1)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)


if __name__ == "__main__":
    L.seed_everything(0)
    X, Y = torch.randn(1024, 32), torch.randint(0, 4, (1024,))
    train_dl = DataLoader(TensorDataset(X[:896], Y[:896]), batch_size=32, shuffle=True)
    val_dl = DataLoader(TensorDataset(X[896:], Y[896:]), batch_size=1)

    model = LitClassifier()
    trainer = L.Trainer(max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False)
    trainer.fit(model, train_dl, val_dl)
    trainer.validate(model, val_dl)
    preds = torch.cat(trainer.predict(model, val_dl))

    model.eval()
    with torch.no_grad():
        manual = torch.cat([model(xb).argmax(1) for xb, _ in val_dl])
    print("mismatches:", (preds != manual).sum().item())
