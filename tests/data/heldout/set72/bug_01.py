"""Pipeline smoke test: train a small CNN on synthetic CIFAR-shaped data and report throughput.

Used in CI to check that the training stack (data loading, AMP, optimizer, checkpointing)
runs end to end on a fresh machine before launching real jobs.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_TRAIN = 2049
N_VAL = 512
BATCH_SIZE = 32
NUM_CLASSES = 10


def make_model():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(inplace=True),
        nn.Conv2d(32, 64, 3, padding=1),  # expect: BN204
        nn.BatchNorm2d(64),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1, bias=False),
        nn.BatchNorm2d(128),
        nn.ReLU(inplace=True),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(128, NUM_CLASSES),
    )


def synthetic(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 32, 32, generator=g)
    y = torch.randint(0, NUM_CLASSES, (n,), generator=g)
    return TensorDataset(x, y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--amp", action="store_true")
    parser.add_argument("--ckpt", default="/tmp/smoke_test.pt")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader = DataLoader(synthetic(N_TRAIN, 0), batch_size=BATCH_SIZE, shuffle=True, num_workers=2)  # expect: BN302
    val_loader = DataLoader(synthetic(N_VAL, 1), batch_size=128, num_workers=2)

    model = make_model().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scaler = torch.cuda.amp.GradScaler(enabled=args.amp and device.type == "cuda")

    for epoch in range(args.epochs):
        tic, seen = time.time(), 0
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast(device.type, enabled=args.amp):
                loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            seen += x.size(0)
        throughput = seen / (time.time() - tic)

        model.eval()  # expect: BN103
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        print(f"epoch {epoch}: loss {loss.item():.3f} val acc {correct / N_VAL:.3f} "
              f"({throughput:.0f} samples/s)")

    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, args.ckpt)
    restored = make_model()
    restored.load_state_dict(torch.load(args.ckpt, map_location="cpu")["model"])
    print("checkpoint round-trip ok")


if __name__ == "__main__":
    main()
