"""ECG-like 1D signal classifier trained from the command line."""
import click
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

SIGNAL_LENGTH = 512
NUM_CLASSES = 4


class ConvBlock1d(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size=7):
        super().__init__()
        self.conv = nn.Conv1d(in_ch, out_ch, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm1d(out_ch)
        self.pool = nn.MaxPool1d(2)

    def forward(self, x):
        return self.pool(F.relu(self.bn(self.conv(x))))


class SignalNet(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.blocks = nn.Sequential(
            ConvBlock1d(1, 16),
            ConvBlock1d(16, 32),
            ConvBlock1d(32, 64, kernel_size=5),
            ConvBlock1d(64, 64, kernel_size=3),
        )
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Linear(64, 32, bias=False),
            nn.BatchNorm1d(32, momentum=0.99),  # expect: BN205
            nn.ReLU(),
            nn.Linear(32, num_classes),
        )

    def forward(self, x):
        return self.head(self.blocks(x))


def synthetic_signals(n, seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, NUM_CLASSES, (n,), generator=g)
    t = torch.linspace(0, 1, SIGNAL_LENGTH)
    freqs = (labels.float() + 1.0) * 5.0
    clean = torch.sin(2 * torch.pi * freqs[:, None] * t[None, :])
    noisy = clean + 0.5 * torch.randn(n, SIGNAL_LENGTH, generator=g)
    return TensorDataset(noisy.unsqueeze(1), labels)


def train_epoch(model, loader, optimizer, device):
    model.train()
    losses = []
    for signals, labels in loader:
        signals, labels = signals.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(signals), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    hits, seen = 0, 0
    for signals, labels in loader:
        pred = model(signals.to(device)).argmax(1).cpu()
        hits += (pred == labels).sum().item()
        seen += labels.numel()
    return hits / seen


@click.command()
@click.option("--batch-size", default=4, show_default=True, type=int, help="Training batch size.")
@click.option("--epochs", default=10, show_default=True, type=int)
@click.option("--lr", default=1e-3, show_default=True, type=float)
@click.option("--data-size", default=2000, show_default=True, type=int)
@click.option("--out", default="signalnet.pt", show_default=True)
def main(batch_size, epochs, lr, data_size, out):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_set = synthetic_signals(data_size, seed=0)
    test_set = synthetic_signals(data_size // 4, seed=1)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)  # expect: BN301
    test_loader = DataLoader(test_set, batch_size=128)

    model = SignalNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(1, epochs + 1):
        loss = train_epoch(model, train_loader, optimizer, device)
        acc = evaluate(model, test_loader, device)
        click.echo(f"epoch {epoch:3d} loss {loss:.4f} acc {acc:.3f}")
    torch.save(model.state_dict(), out)


if __name__ == "__main__":
    main()
