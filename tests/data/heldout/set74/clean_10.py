"""Human activity recognition from accelerometer windows, random train/val split."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

WINDOW = 128
CHANNELS = 6
ACTIVITIES = 6
TOTAL_WINDOWS = 10_001
SPLIT = [9000, 1001]
BATCH_SIZE = 100


class HARNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(CHANNELS, 64, 5, padding=2, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Conv1d(64, 64, 5, padding=2, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.MaxPool1d(2),
        )
        self.gru = nn.GRU(64, 64, batch_first=True)
        self.norm = nn.LayerNorm(64)
        self.out = nn.Linear(64, ACTIVITIES)

    def forward(self, x):
        h = self.conv(x)
        seq, _ = self.gru(h.transpose(1, 2))
        return self.out(self.norm(seq[:, -1]))


def simulate(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, ACTIVITIES, (n,), generator=g)
    t = torch.arange(WINDOW).float()
    base = torch.sin(t[None, None, :] * (labels[:, None, None] + 1) * 0.1)
    x = base.expand(n, CHANNELS, WINDOW) + 0.3 * torch.randn(n, CHANNELS, WINDOW, generator=g)
    return TensorDataset(x, labels)


def main():
    torch.manual_seed(0)
    full = simulate(TOTAL_WINDOWS)
    train_set, val_set = random_split(full, SPLIT, generator=torch.Generator().manual_seed(1))
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=BATCH_SIZE)

    model = HARNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    best_acc = 0.0

    for epoch in range(30):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()

        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x).argmax(dim=1) == y).sum().item()
        acc = correct / len(val_set)
        if acc > best_acc:
            best_acc = acc
            torch.save(model.state_dict(), "harnet_best.pt")
        print(f"epoch {epoch}: loss {loss.item():.4f} val acc {acc:.3f} (best {best_acc:.3f})")


if __name__ == "__main__":
    main()
