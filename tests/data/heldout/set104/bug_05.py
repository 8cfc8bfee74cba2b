# Single-GPU debug run of the ECG model from our cluster training code.
# Uses random signals so it can run on a laptop / one GPU before launching the big job.
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_TRAIN = 4097
N_VAL = 512
SIGNAL_LEN = 2500
N_LEADS = 12
N_CLASSES = 5


class ResBlock1d(nn.Module):
    def __init__(self, channels, kernel_size=7, dropout=0.2):
        super().__init__()
        pad = kernel_size // 2
        self.conv1 = nn.Conv1d(channels, channels, kernel_size, padding=pad, bias=False)
        self.bn1 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, padding=pad, bias=False)
        self.bn2 = nn.BatchNorm1d(channels)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        h = self.drop(F.relu(self.bn1(self.conv1(x))))
        h = self.bn2(self.conv2(h))
        return F.relu(h + x)


class ECGNet(nn.Module):
    def __init__(self, in_leads=N_LEADS, width=64, n_blocks=4, n_classes=N_CLASSES):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(in_leads, width, 15, stride=2, padding=7, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool1d(3, stride=2, padding=1),
        )
        self.blocks = nn.Sequential(*[ResBlock1d(width) for _ in range(n_blocks)])
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(x.mean(dim=-1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    # random signals: we only want to check shapes, memory and that the loss goes down a bit
    train_ds = TensorDataset(torch.randn(N_TRAIN, N_LEADS, SIGNAL_LEN), torch.randint(0, N_CLASSES, (N_TRAIN,)))
    val_ds = TensorDataset(torch.randn(N_VAL, N_LEADS, SIGNAL_LEN), torch.randint(0, N_CLASSES, (N_VAL,)))
    train_dl = DataLoader(train_ds, batch_size=64, shuffle=True)  # expect: BN302
    val_dl = DataLoader(val_ds, batch_size=128)

    model = ECGNet()
    # same model code as the 8-GPU job, keep SyncBN so checkpoints are interchangeable
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303
    model.to(device)

    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        model.train()
        tic = time.time()
        for sig, lbl in train_dl:
            sig, lbl = sig.to(device), lbl.to(device)
            loss = F.cross_entropy(model(sig), lbl)
            opt.zero_grad()
            loss.backward()
            opt.step()

        model.eval()
        correct = 0
        with torch.no_grad():
            for sig, lbl in val_dl:
                pred = model(sig.to(device)).argmax(dim=1)
                correct += (pred.cpu() == lbl).sum().item()
        print(f"epoch {epoch}: loss {loss.item():.3f} val acc {correct / N_VAL:.3f} ({time.time() - tic:.1f}s)")


if __name__ == "__main__":
    main()
