# ECG heartbeat classification (MIT-BIH, AAMI 5 classes) with a 1D CNN.
# Expects a preprocessed npz with beats resampled to 187 samples:
#   X_train (N, 187), y_train (N,), X_val, y_val
import sys
import json
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import Dataset, DataLoader
from sklearn.metrics import f1_score, confusion_matrix

DATA = sys.argv[1] if len(sys.argv) > 1 else "mitbih_beats.npz"
EPOCHS = 30
BATCH = 256
LR = 3e-3
CLASSES = ["N", "S", "V", "F", "Q"]

torch.manual_seed(17)
np.random.seed(17)


class Beats(Dataset):
    def __init__(self, x, y, augment=False):
        self.x = x.astype(np.float32)
        self.y = y.astype(np.int64)
        self.augment = augment

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        beat = self.x[i]
        if self.augment:
            beat = beat * np.random.uniform(0.9, 1.1) + np.random.normal(0, 0.01, beat.shape)
        return torch.from_numpy(beat.astype(np.float32)).unsqueeze(0), self.y[i]


def make_model(n_classes=len(CLASSES)):
    return nn.Sequential(
        nn.Conv1d(1, 32, 7, padding=3, bias=False),
        nn.BatchNorm2d(32),  # expect: BN202
        nn.ReLU(inplace=True),
        nn.MaxPool1d(2),
        nn.Conv1d(32, 64, 5, padding=2, bias=False),
        nn.BatchNorm1d(64),
        nn.ReLU(inplace=True),
        nn.MaxPool1d(2),
        nn.Conv1d(64, 128, 3, padding=1, bias=False),
        nn.BatchNorm1d(128),
        nn.ReLU(inplace=True),
        nn.AdaptiveAvgPool1d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(128, n_classes),
    )


def evaluate(model, loader, device):
    model.eval()
    preds, gts = [], []
    with torch.no_grad():
        for x, y in loader:
            out = model(x.to(device))
            preds.append(out.argmax(1).cpu().numpy())
            gts.append(y.numpy())
    preds, gts = np.concatenate(preds), np.concatenate(gts)
    return f1_score(gts, preds, average="macro"), confusion_matrix(gts, preds)


data = np.load(DATA)
train_ds = Beats(data["X_train"], data["y_train"], augment=True)
val_ds = Beats(data["X_val"], data["y_val"])

# class-balanced sampling, the N class dominates
counts = np.bincount(train_ds.y, minlength=len(CLASSES))
weights = 1.0 / counts[train_ds.y]
sampler = torch.utils.data.WeightedRandomSampler(weights, num_samples=len(weights))

train_loader = DataLoader(train_ds, batch_size=BATCH, sampler=sampler, num_workers=2)
val_loader = DataLoader(val_ds, batch_size=512, num_workers=2)

device = "cuda" if torch.cuda.is_available() else "cpu"
model = make_model().to(device)
opt = torch.optim.Adam(model.parameters(), lr=LR)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=EPOCHS * len(train_loader))
criterion = nn.CrossEntropyLoss()

history = []
best_f1 = 0.0
model.train()
for epoch in range(EPOCHS):
    tot, n = 0.0, 0
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        loss = criterion(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        tot += loss.item() * y.size(0)
        n += y.size(0)

    f1, cm = evaluate(model, val_loader, device)  # expect: BN103
    history.append({"epoch": epoch, "train_loss": tot / n, "val_f1": f1})
    print(f"[{epoch:02d}] loss={tot / n:.4f} macroF1={f1:.4f}")
    if f1 > best_f1:
        best_f1 = f1
        torch.save(model.state_dict(), "ecg_cnn_best.pt")
        np.savetxt("ecg_cm_best.txt", cm, fmt="%d")

with open("ecg_history.json", "w") as fh:
    json.dump(history, fh, indent=1)
print("best macro F1:", best_f1)
