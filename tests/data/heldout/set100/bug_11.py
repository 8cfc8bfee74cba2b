"""A minimal callback-driven trainer (Keras-style) for a 1D-CNN sensor classifier."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from har_data import load_har  # project-local: returns (train_ds, val_ds), windows (N, 9, 128)


class SensorCNN(nn.Module):
    def __init__(self, in_channels=9, num_classes=6):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(in_channels, 64, 5, padding=2, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Conv1d(64, 128, 5, padding=2, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
        )
        self.classifier = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x).squeeze(-1))


class Callback:
    def on_train_begin(self, trainer):
        pass

    def on_epoch_end(self, trainer, epoch):
        pass


class Trainer:
    def __init__(self, model, optimizer, callbacks=()):
        self.model = model
        self.optimizer = optimizer
        self.callbacks = list(callbacks)
        self.history = []
        self.stop = False

    def fit(self, loader, epochs):
        for cb in self.callbacks:
            cb.on_train_begin(self)
        for epoch in range(epochs):
            self.model.train()
            total = 0.0
            for x, y in loader:
                self.optimizer.zero_grad()
                loss = F.cross_entropy(self.model(x), y)
                loss.backward()
                self.optimizer.step()
                total += loss.item()
            self.history.append({"epoch": epoch, "loss": total / len(loader)})
            for cb in self.callbacks:
                cb.on_epoch_end(self, epoch)
            if self.stop:
                break


class FreezePretrainedBatchNorm(Callback):
    """Freeze the BatchNorm layers of the pretrained feature extractor (small target dataset)."""

    def on_train_begin(self, trainer):
        for m in trainer.model.features.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.requires_grad_(False)  # expect: BN105


class ValidationCallback(Callback):
    def __init__(self, loader, patience=5):
        self.loader = loader
        self.patience = patience
        self.best = 0.0
        self.wait = 0

    def on_epoch_end(self, trainer, epoch):
        correct = total = 0
        with torch.no_grad():
            for x, y in self.loader:
                preds = trainer.model(x).argmax(dim=1)  # expect: BN101
                correct += (preds == y).sum().item()
                total += y.numel()
        acc = correct / total
        trainer.history[-1]["val_acc"] = acc
        print(f"epoch {epoch}: val acc {acc:.4f}")
        if acc > self.best:
            self.best, self.wait = acc, 0
            torch.save(trainer.model.state_dict(), "sensor_cnn_best.pt")
        else:
            self.wait += 1
            trainer.stop = self.wait >= self.patience


def main():
    train_ds, val_ds = load_har("data/UCI_HAR")
    train_loader = DataLoader(train_ds, batch_size=64, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256)

    model = SensorCNN()
    model.features.load_state_dict(torch.load("pretrained_features.pt"))
    optimizer = torch.optim.Adam([p for p in model.parameters()], lr=1e-3)
    trainer = Trainer(model, optimizer, callbacks=[
        FreezePretrainedBatchNorm(),
        ValidationCallback(val_loader, patience=8),
    ])
    trainer.fit(train_loader, epochs=50)


if __name__ == "__main__":
    main()
