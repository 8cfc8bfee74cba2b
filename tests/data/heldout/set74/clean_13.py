"""Leaf-disease classifier CLI with `train` and `predict` sub-commands."""
import click
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CLASSES = ["healthy", "rust", "scab", "blight"]


class LeafNet(nn.Module):
    def __init__(self, num_classes=len(CLASSES)):
        super().__init__()
        self.stage1 = self._stage(3, 32)
        self.stage2 = self._stage(32, 64)
        self.stage3 = self._stage(64, 128)
        self.fc = nn.Linear(128, num_classes)

    @staticmethod
    def _stage(cin, cout):
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )

    def forward(self, x):
        x = self.stage3(self.stage2(self.stage1(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def leaf_images(n, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, len(CLASSES), (n,), generator=g)
    x = torch.rand(n, 3, 64, 64, generator=g) * 0.3
    x[:, 1] += 0.5
    x[y == 1, 0] += 0.4
    x[y == 2, 2] += 0.4
    x[y == 3] *= 0.5
    return TensorDataset(x, y)


@click.group()
def cli():
    """Train or run the leaf classifier."""


@cli.command()
@click.option("--batch-size", default=32, show_default=True)
@click.option("--epochs", default=15, show_default=True)
@click.option("--num-images", default=1600, show_default=True)
@click.option("--checkpoint", default="leafnet.pt", show_default=True)
def train(batch_size, epochs, num_images, checkpoint):
    loader = DataLoader(leaf_images(num_images, 0), batch_size=batch_size, shuffle=True)
    model = LeafNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        click.echo(f"epoch {epoch}: {loss.item():.4f}")
    torch.save(model.state_dict(), checkpoint)


@cli.command()
@click.option("--batch-size", default=1, show_default=True)
@click.option("--num-images", default=20, show_default=True)
@click.option("--checkpoint", default="leafnet.pt", show_default=True)
def predict(batch_size, num_images, checkpoint):
    model = LeafNet()
    model.load_state_dict(torch.load(checkpoint, map_location="cpu"))
    model.eval()
    loader = DataLoader(leaf_images(num_images, 123), batch_size=batch_size)
    with torch.inference_mode():
        for i, (x, y) in enumerate(loader):
            probs = model(x).softmax(dim=1)
            conf, idx = probs.max(dim=1)
            for c, k, t in zip(conf.tolist(), idx.tolist(), y.tolist()):
                click.echo(f"image {i}: {CLASSES[k]} ({c:.2f}), truth {CLASSES[t]}")


if __name__ == "__main__":
    cli()
