"""ECG beat classifier: 1D CNN front end on a univariate signal + batch-first GRU.

Each beat is a univariate window (batch, BEAT_LEN). It gets a channel axis,
is convolved, then the (batch, time, hidden) GRU states are normalised per
hidden unit and summarised by attention pooling.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

BEAT_LEN = 256
N_CLASSES = 5  # AAMI classes N, S, V, F, Q
HIDDEN = 64


class BeatNet(nn.Module):
    def __init__(self, hidden=HIDDEN, n_classes=N_CLASSES):
        super().__init__()
        self.front = nn.Sequential(
            nn.Conv1d(1, 32, kernel_size=7, padding=3, bias=False),
            nn.BatchNorm1d(32),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(32, hidden, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.MaxPool1d(2),
        )
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.state_bn = nn.BatchNorm1d(hidden)
        self.attn = nn.Conv1d(hidden, 1, kernel_size=1)
        self.last_bn = nn.BatchNorm1d(hidden)
        self.fc = nn.Linear(2 * hidden, hidden, bias=False)
        self.fc_bn = nn.BatchNorm1d(hidden)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, beats):
        x = self.front(beats.unsqueeze(1))
        states, h_n = self.gru(x.transpose(1, 2))
        s = self.state_bn(states.permute(0, 2, 1))
        weights = torch.softmax(self.attn(torch.tanh(s)), dim=-1)
        context = (s * weights).sum(dim=-1)
        last = self.last_bn(h_n[-1])
        z = torch.cat([context, last], dim=1)
        return self.out(F.relu(self.fc_bn(self.fc(z))))


def synthetic_beats(n, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(-1, 1, BEAT_LEN)
    y = torch.randint(0, N_CLASSES, (n,), generator=g)
    width = 0.02 + 0.02 * y.float().unsqueeze(1)
    qrs = torch.exp(-(t.unsqueeze(0) ** 2) / width)
    noise = 0.05 * torch.randn(n, BEAT_LEN, generator=g)
    return TensorDataset(qrs + noise, y)


def class_weights(labels):
    counts = torch.bincount(labels, minlength=N_CLASSES).float()
    return counts.sum() / (N_CLASSES * counts.clamp(min=1))


def evaluate(model, loader):
    model.eval()
    confusion = torch.zeros(N_CLASSES, N_CLASSES, dtype=torch.long)
    with torch.no_grad():
        for beats, y in loader:
            pred = model(beats).argmax(1)
            for t, p in zip(y.tolist(), pred.tolist()):
                confusion[t, p] += 1
    recall = confusion.diag().float() / confusion.sum(1).clamp(min=1).float()
    return recall.mean().item()


def main():
    train_ds = synthetic_beats(20000, seed=0)
    test_ds = synthetic_beats(4000, seed=1)
    train_dl = DataLoader(train_ds, batch_size=128, shuffle=True, drop_last=True)
    test_dl = DataLoader(test_ds, batch_size=500)
    model = BeatNet()
    weights = class_weights(train_ds.tensors[1])
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(10):
        model.train()
        for beats, y in train_dl:
            loss = F.cross_entropy(model(beats), y, weight=weights)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch} loss {loss.item():.4f} balanced acc {evaluate(model, test_dl):.3f}")


if __name__ == "__main__":
    main()
