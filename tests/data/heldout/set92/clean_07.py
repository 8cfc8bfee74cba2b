"""
ECG heartbeat classification (MIT-BIH) - PyTorch port of the Keras kernel, v3.

Keras BatchNormalization(momentum=0.99, epsilon=0.001) translates to
nn.BatchNorm1d(C, 0.001, 0.01) in PyTorch: positional order is (num_features,
eps, momentum) and PyTorch momentum = 1 - keras momentum.
"""
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import f1_score
from torch.utils.data import DataLoader, TensorDataset

EPOCHS = 20
BATCH_SIZE = 64
SIGNAL_LEN = 187
N_CLASSES = 5
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def conv_block(c_in, c_out, k, pool):
    # Keras order: Conv1D -> BatchNormalization -> ReLU -> MaxPool1D
    return nn.Sequential(
        nn.Conv1d(c_in, c_out, kernel_size=k, padding=k // 2, bias=False),
        nn.BatchNorm1d(c_out, 0.001, 0.01),
        nn.ReLU(inplace=True),
        nn.MaxPool1d(pool),
    )


class ECGNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_block(1, 32, 7, 2),
            conv_block(32, 64, 5, 2),
            conv_block(64, 64, 3, 2),
            conv_block(64, 128, 3, 2),
        )
        self.gap = nn.AdaptiveAvgPool1d(1)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128, 64, bias=False),
            nn.BatchNorm1d(64, eps=0.001, momentum=0.01),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(64, N_CLASSES),
        )

    def forward(self, x):          # x: (N, 1, 187)
        return self.head(self.gap(self.features(x)))


def load(split):
    df = pd.read_csv(f"../input/heartbeat/mitbih_{split}.csv", header=None)
    x = torch.tensor(df.iloc[:, :SIGNAL_LEN].values, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(df.iloc[:, SIGNAL_LEN].values, dtype=torch.long)
    return TensorDataset(x, y)


def run():
    train_ds, test_ds = load("train"), load("test")
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    test_loader = DataLoader(test_ds, batch_size=512)

    model = ECGNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)

    for epoch in range(EPOCHS):
        model.train(True)
        total, n = 0.0, 0
        for xb, yb in train_loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
            n += len(xb)
        plateau.step(total / n)

        model.train(False)             # same as model.eval()
        preds, targets = [], []
        with torch.no_grad():
            for xb, yb in test_loader:
                preds.append(model(xb.to(device)).argmax(1).cpu())
                targets.append(yb)
        preds, targets = torch.cat(preds).numpy(), torch.cat(targets).numpy()
        print(f"epoch {epoch + 1}: loss {total / n:.4f}  acc {np.mean(preds == targets):.4f}  "
              f"macro-F1 {f1_score(targets, preds, average='macro'):.4f}")

    # TorchScript for the streaming demo (model is already in eval mode here,
    # but be explicit in case someone reorders the code)
    model.eval()
    traced = torch.jit.trace(model, torch.randn(8, 1, SIGNAL_LEN, device=device))
    traced.save("ecg_cnn.pt")
    return model


if __name__ == "__main__":
    run()
