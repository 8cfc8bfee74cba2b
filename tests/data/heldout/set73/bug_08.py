"""A small callback-driven trainer used for the audio-tagging baselines."""
import json
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class AudioCNN(nn.Module):
    """Log-mel spectrogram [B, 1, 64, T] -> multi-label logits."""

    def __init__(self, num_labels=50):
        super().__init__()
        chans = [1, 32, 64, 128, 256]
        layers = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers += [
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(256, num_labels)

    def forward(self, x):
        x = self.features(x)
        x = x.mean(dim=3).amax(dim=2)
        return self.classifier(x)


class Callback:
    def on_fit_start(self, trainer):
        pass

    def on_batch_end(self, trainer, step, loss):
        pass

    def on_epoch_end(self, trainer, epoch, metrics):
        pass


class PrintLogger(Callback):
    def __init__(self, every=50):
        self.every = every
        self.t0 = time.time()

    def on_batch_end(self, trainer, step, loss):
        if step % self.every == 0:
            print(f"step {step:6d} loss {loss:.4f} ({time.time() - self.t0:.0f}s)")

    def on_epoch_end(self, trainer, epoch, metrics):
        print(f"epoch {epoch}: " + json.dumps(metrics))


class Checkpoint(Callback):
    def __init__(self, path, monitor="mAP"):
        self.path = Path(path)
        self.monitor = monitor
        self.best = float("-inf")

    def on_epoch_end(self, trainer, epoch, metrics):
        if metrics[self.monitor] > self.best:
            self.best = metrics[self.monitor]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            torch.save(trainer.model.state_dict(), self.path)


class EarlyStopping(Callback):
    def __init__(self, patience=5, monitor="mAP"):
        self.patience = patience
        self.monitor = monitor
        self.best = float("-inf")
        self.bad_epochs = 0

    def on_epoch_end(self, trainer, epoch, metrics):
        if metrics[self.monitor] > self.best:
            self.best, self.bad_epochs = metrics[self.monitor], 0
        else:
            self.bad_epochs += 1
            trainer.should_stop = self.bad_epochs >= self.patience


def mean_average_precision(scores, targets):
    aps = []
    for c in range(scores.shape[1]):
        t = targets[:, c]
        if t.sum() == 0:
            continue
        order = torch.argsort(scores[:, c], descending=True)
        hits = t[order]
        precision = torch.cumsum(hits, 0) / torch.arange(1, len(hits) + 1)
        aps.append((precision * hits).sum() / hits.sum())
    return torch.stack(aps).mean().item() if aps else 0.0


class Trainer:
    def __init__(self, model, optimizer, train_loader, val_loader, device, callbacks=()):
        self.model = model.to(device)
        self.optimizer = optimizer
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.device = device
        self.callbacks = list(callbacks)
        self.should_stop = False
        self.global_step = 0

    def _run_validation(self):
        self.model.eval()
        all_scores, all_targets = [], []
        with torch.no_grad():
            for x, y in self.val_loader:
                logits = self.model(x.to(self.device))
                all_scores.append(torch.sigmoid(logits).cpu())
                all_targets.append(y.float())
        scores, targets = torch.cat(all_scores), torch.cat(all_targets)
        return {"mAP": mean_average_precision(scores, targets)}

    def fit(self, epochs):
        self.model.train()
        for cb in self.callbacks:
            cb.on_fit_start(self)
        for epoch in range(epochs):
            for x, y in self.train_loader:
                x, y = x.to(self.device), y.to(self.device).float()
                loss = F.binary_cross_entropy_with_logits(self.model(x), y)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                self.global_step += 1
                for cb in self.callbacks:
                    cb.on_batch_end(self, self.global_step, loss.item())
            metrics = self._run_validation()  # expect: BN103
            for cb in self.callbacks:
                cb.on_epoch_end(self, epoch, metrics)
            if self.should_stop:
                break
        return self


def main():
    train_set = torch.load("data/esc_train.pt")
    val_set = torch.load("data/esc_val.pt")
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, drop_last=True, num_workers=4)
    val_loader = DataLoader(val_set, batch_size=128, num_workers=4)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = AudioCNN(num_labels=50)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    callbacks = [PrintLogger(), Checkpoint("runs/audiocnn/best.pt"), EarlyStopping(patience=8)]
    Trainer(model, optimizer, train_loader, val_loader, device, callbacks).fit(epochs=60)


if __name__ == "__main__":
    main()
