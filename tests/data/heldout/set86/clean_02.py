"""Single-lead ECG beat classifier (MIT-BIH, AAMI classes N/S/V/F/Q).

Beats are 1-second windows centred on the R peak: (N, 1, 360) at 360 Hz.
"""
import os
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

AAMI = ["N", "S", "V", "F", "Q"]


class BeatDataset(Dataset):
    def __init__(self, npz_path):
        data = np.load(npz_path)
        self.x = torch.from_numpy(data["beats"].astype(np.float32)).unsqueeze(1)
        self.y = torch.from_numpy(data["labels"].astype(np.int64))

    def __len__(self):
        return self.y.shape[0]

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class BeatCNN(nn.Module):
    def __init__(self, base=16, n_classes=len(AAMI)):
        super().__init__()
        # Front end: conv -> ReLU -> BN ("post-activation" BN); the bias is not
        # directly followed by the normalisation, so it is kept.
        self.front = nn.Sequential(
            nn.Conv1d(1, base, kernel_size=11, padding=5),
            nn.ReLU(),
            nn.BatchNorm1d(base, eps=1e-3, momentum=0.01),
        )
        self.body = nn.Sequential(
            nn.Conv1d(base, base * 2, kernel_size=7, padding=3, stride=2, bias=False),
            nn.BatchNorm1d(base * 2, eps=1e-3, momentum=0.01),
            nn.ReLU(),
            nn.Conv1d(base * 2, base * 4, kernel_size=5, padding=2, stride=2, bias=False),
            nn.BatchNorm1d(base * 4, eps=1e-3, momentum=0.01),
            nn.ReLU(),
            nn.Conv1d(base * 4, base * 4, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm1d(base * 4, eps=1e-3, momentum=0.01),
            nn.ReLU(),
            nn.AdaptiveMaxPool1d(1),
            nn.Flatten(),
        )
        self.classifier = nn.Linear(base * 4, n_classes)

    def forward(self, x):
        return self.classifier(self.body(self.front(x)))


class Trainer:
    def __init__(self, model, train_ds, val_ds, batch_size=128, lr=1e-3, device=None):
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        counts = Counter(train_ds.y.tolist())
        weights = [1.0 / counts[int(c)] for c in train_ds.y]
        sampler = WeightedRandomSampler(weights, num_samples=len(weights), replacement=True)
        self.train_loader = DataLoader(train_ds, batch_size=batch_size, sampler=sampler)
        self.val_loader = DataLoader(val_ds, batch_size=512)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.loss_fn = nn.CrossEntropyLoss()

    def train_epoch(self):
        self.model.train()
        losses = []
        for x, y in self.train_loader:
            x, y = x.to(self.device), y.to(self.device)
            self.opt.zero_grad()
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            self.opt.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    @torch.no_grad()
    def evaluate(self):
        self.model.eval()
        cm = np.zeros((len(AAMI), len(AAMI)), dtype=np.int64)
        for x, y in self.val_loader:
            pred = self.model(x.to(self.device)).argmax(1).cpu().numpy()
            for t, p in zip(y.numpy(), pred):
                cm[t, p] += 1
        recall = cm.diagonal() / np.maximum(cm.sum(1), 1)
        return float(recall.mean()), cm

    def fit(self, epochs, ckpt="checkpoints/beatcnn.pt"):
        best = 0.0
        for epoch in range(epochs):
            loss = self.train_epoch()
            balanced_acc, _ = self.evaluate()
            print(f"epoch {epoch:02d} loss {loss:.4f} balanced_acc {balanced_acc:.4f}")
            if balanced_acc > best:
                best = balanced_acc
                os.makedirs(os.path.dirname(ckpt), exist_ok=True)
                torch.save(self.model.state_dict(), ckpt)
        return best


if __name__ == "__main__":
    trainer = Trainer(BeatCNN(), BeatDataset("data/mitbih_ds1.npz"), BeatDataset("data/mitbih_ds2.npz"))
    print("best balanced accuracy:", trainer.fit(epochs=25))
