"""Keyword spotting with a WaveNet-style dilated TCN, ported from a Keras model.

The Keras model consumed MFCCs as (batch, time, n_mfcc), channels-last.
Conv1d/BatchNorm1d want (batch, channels, time), so the input is permuted once
at the top of forward(). Keras BatchNormalization(momentum=0.99, epsilon=1e-3)
is translated to torch momentum 0.01 (weight of the new batch).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_MFCC = 40
N_FRAMES = 101
N_KEYWORDS = 12
RESIDUAL_CHANNELS = 64
SKIP_CHANNELS = 128
DILATIONS = (1, 2, 4, 8, 16)
N_TRAIN = 3000
N_VAL = 600
BATCH = 100


class ResidualUnit(nn.Module):
    def __init__(self, channels, skip_channels, dilation):
        super().__init__()
        self.filter = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False)
        self.gate = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False)
        # positional order in torch is (num_features, eps, momentum)
        self.bn_filter = nn.BatchNorm1d(channels, 1e-3, 0.01)
        self.bn_gate = nn.BatchNorm1d(channels, 1e-3, 0.01)
        self.res = nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, skip_channels, 1)

    def forward(self, x):
        h = torch.tanh(self.bn_filter(self.filter(x))) * torch.sigmoid(self.bn_gate(self.gate(x)))
        return x + self.res(h), self.skip(h)


class KeywordTCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_proj = nn.Conv1d(N_MFCC, RESIDUAL_CHANNELS, 1, bias=False)
        self.input_bn = nn.BatchNorm1d(RESIDUAL_CHANNELS, eps=1e-3, momentum=1 - 0.99)
        self.units = nn.ModuleList(ResidualUnit(RESIDUAL_CHANNELS, SKIP_CHANNELS, d) for d in DILATIONS)
        self.post = nn.Sequential(
            nn.ReLU(),
            nn.Conv1d(SKIP_CHANNELS, SKIP_CHANNELS, 1, bias=False),
            nn.BatchNorm1d(SKIP_CHANNELS, eps=1e-3, momentum=1 - 0.99),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(SKIP_CHANNELS, N_KEYWORDS)

    def forward(self, mfcc):                       # mfcc: (N, T, n_mfcc), Keras layout
        x = mfcc.permute(0, 2, 1)                  # -> (N, n_mfcc, T)
        x = F.relu(self.input_bn(self.input_proj(x)))
        skips = 0
        for unit in self.units:
            x, s = unit(x)
            skips = skips + s
        x = self.post(skips)
        return self.classifier(x.mean(dim=2))


def accuracy(model, loader):
    model.eval()
    hits = n = 0
    with torch.no_grad():
        for xb, yb in loader:
            hits += (model(xb).argmax(1) == yb).sum().item()
            n += yb.numel()
    return hits / n


def main():
    torch.manual_seed(0)
    # stand-in for the cached MFCC tensors (same shapes as the Keras .npy cache)
    x_train = torch.randn(N_TRAIN, N_FRAMES, N_MFCC)
    y_train = torch.randint(0, N_KEYWORDS, (N_TRAIN,))
    x_val = torch.randn(N_VAL, N_FRAMES, N_MFCC)
    y_val = torch.randint(0, N_KEYWORDS, (N_VAL,))
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH, shuffle=True)
    val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=N_VAL)

    model = KeywordTCN()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(20):
        model.train()
        for xb, yb in train_loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: val acc {accuracy(model, val_loader):.3f}")

    model.eval()
    traced = torch.jit.trace(model, torch.randn(1, N_FRAMES, N_MFCC))
    traced.save("kws_tcn.pt")


if __name__ == "__main__":
    main()
