"""Wafer-map defect classification on procedurally simulated wafer maps.

Dataset sizes are fixed constants; the training loader drops the ragged
last batch. Test-time inference runs one wafer at a time with
test-time augmentation, in eval mode.
"""
from __future__ import annotations

import argparse
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F
from rich.progress import track
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("wafer")

NUM_TRAIN = 10_001
NUM_VAL = 2_000
NUM_CLASSES = 9
MAP_SIZE = 64
TRAIN_BATCH = 100


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=TRAIN_BATCH)
    ap.add_argument("--tta", action="store_true")
    return ap.parse_args()


class WaferNet(nn.Module):
    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                    nn.MaxPool2d(2)]

        self.features = nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 128), *block(128, 128))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128 * (MAP_SIZE // 16) ** 2, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(inplace=True),
            nn.Dropout(0.4),
            nn.Linear(256, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def simulate_maps(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Procedural wafer maps: a disc of dies with class-specific defect patterns."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, MAP_SIZE), torch.linspace(-1, 1, MAP_SIZE), indexing="ij")
    disc = (xx**2 + yy**2 <= 1).float()
    labels = torch.randint(0, NUM_CLASSES, (n,), generator=g)
    noise = torch.rand(n, 1, MAP_SIZE, MAP_SIZE, generator=g)
    ring = ((xx**2 + yy**2).sqrt() - labels.view(-1, 1, 1, 1) / NUM_CLASSES).abs() < 0.08
    maps = disc * (1 + ((noise < 0.05) | ring).float())
    return maps, labels


@torch.inference_mode()
def predict_tta(model: nn.Module, wafer: torch.Tensor) -> torch.Tensor:
    model.eval()
    views = torch.cat([wafer, wafer.flip(-1), wafer.flip(-2), wafer.rot90(1, (-2, -1))])
    return F.softmax(model(views), dim=1).mean(0, keepdim=True)


def main() -> None:
    args = parse()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_ds = TensorDataset(*simulate_maps(NUM_TRAIN, seed=0))
    val_ds = TensorDataset(*simulate_maps(NUM_VAL, seed=1))

    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=4)
    val_loader = DataLoader(val_ds, batch_size=250, num_workers=4)
    test_loader = DataLoader(val_ds, batch_size=1, shuffle=False)

    model = WaferNet().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=3)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device), label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()

        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        acc = correct / len(val_ds)
        sched.step(acc)
        log.info("epoch %d val_acc %.4f", epoch, acc)

    if args.tta:
        model.eval()
        hits = 0
        for x, y in track(test_loader, description="TTA"):
            probs = predict_tta(model, x.to(device))
            hits += int(probs.argmax(1).item() == y.item())
        log.info("TTA accuracy %.4f", hits / len(val_ds))
    torch.save(model.state_dict(), "wafernet.pt")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
