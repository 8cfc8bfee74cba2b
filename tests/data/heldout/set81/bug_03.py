import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

N_SAMPLES = 1025
BATCH_SIZE = 64


class SensorWindows(Dataset):
    def __init__(self, n=N_SAMPLES, channels=6, length=128):
        self.x = torch.randn(n, channels, length)
        self.y = torch.randint(0, 5, (n,))

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class ActivityNet(nn.Module):
    def __init__(self, channels=6, width=64, n_classes=5):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(channels, width, 5, padding=2, bias=False),
            nn.BatchNorm1d(width, momentum=0.9),  # expect: BN205
            nn.ReLU(),
            nn.Conv1d(width, width, 5, padding=2, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
        )
        self.fc = nn.Linear(width, n_classes)

    def forward(self, x):
        return self.fc(self.body(x).squeeze(-1))


def check_progress(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(-1) == y).float().mean().item()


def main():
    ds = SensorWindows()
    loader = DataLoader(ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
    model = ActivityNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    probe_x, probe_y = ds.x[:200], ds.y[:200]
    model.train()
    for epoch in range(20):
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        acc = check_progress(model, probe_x, probe_y)  # expect: BN103
        print(f"epoch {epoch} probe acc {acc:.3f}")
    torch.save(model.state_dict(), "activity.pt")


if __name__ == "__main__":
    main()
