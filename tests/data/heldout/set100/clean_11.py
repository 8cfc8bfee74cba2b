"""Callback-based trainer whose evaluation functions are wrapped by a decorator
that switches the model to eval mode and restores the previous mode afterwards."""
import functools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from ecg_data import ECGBeats  # project-local: (beat (1, 187), label)


def evaluation_mode(fn):
    @functools.wraps(fn)
    def wrapper(model, *args, **kwargs):
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                return fn(model, *args, **kwargs)
        finally:
            model.train(was_training)
    return wrapper


class ECGNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(1, 32, 5, padding=2, bias=False), nn.BatchNorm1d(32), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(32, 64, 5, padding=2, bias=False), nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(64, 128, 3, padding=1, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
        )
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.fc(self.body(x).amax(dim=-1))


@evaluation_mode
def evaluate(model, loader):
    correct = total = 0
    for x, y in loader:
        correct += (model(x).argmax(dim=1) == y).sum().item()
        total += y.numel()
    return correct / total


class Callback:
    def on_epoch_end(self, trainer, epoch):
        pass


class ValAccuracy(Callback):
    def __init__(self, loader):
        self.loader = loader
        self.best = 0.0

    def on_epoch_end(self, trainer, epoch):
        acc = evaluate(trainer.model, self.loader)
        print(f"epoch {epoch}: val acc {acc:.4f}")
        if acc > self.best:
            self.best = acc
            torch.save(trainer.model.state_dict(), "ecgnet_best.pt")


class LRLogger(Callback):
    def on_epoch_end(self, trainer, epoch):
        print(f"  lr = {trainer.optimizer.param_groups[0]['lr']:.2e}")


class Trainer:
    def __init__(self, model, optimizer, scheduler, callbacks):
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.callbacks = callbacks

    def fit(self, loader, epochs):
        self.model.train()
        for epoch in range(epochs):
            for x, y in loader:
                self.optimizer.zero_grad()
                loss = F.cross_entropy(self.model(x), y)
                loss.backward()
                self.optimizer.step()
            self.scheduler.step()
            for cb in self.callbacks:
                cb.on_epoch_end(self, epoch)


def main():
    train_loader = DataLoader(ECGBeats("data/mitbih_train.csv"), batch_size=128, shuffle=True, drop_last=True)
    val_loader = DataLoader(ECGBeats("data/mitbih_val.csv"), batch_size=1024)
    test_loader = DataLoader(ECGBeats("data/mitbih_test.csv"), batch_size=1024)

    model = ECGNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)
    trainer = Trainer(model, optimizer, scheduler, [ValAccuracy(val_loader), LRLogger()])
    trainer.fit(train_loader, epochs=30)

    model.load_state_dict(torch.load("ecgnet_best.pt"))
    print(f"test acc {evaluate(model, test_loader):.4f}")


if __name__ == "__main__":
    main()
