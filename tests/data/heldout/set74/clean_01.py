"""Train a digit classifier, then run per-sample latency benchmarking and export."""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class DigitNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(64 * 7 * 7, 128, bias=False)
        self.bn3 = nn.BatchNorm1d(128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.relu(self.bn3(self.fc1(x.flatten(1))))
        return self.fc2(x)


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--bench-batch-size", type=int, default=1, help="batch size for latency benchmark")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--train-size", type=int, default=4096)
    parser.add_argument("--bench-size", type=int, default=200)
    parser.add_argument("--export", default="digitnet.ts")
    return parser.parse_args()


def fake_digits(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    x[torch.arange(n), 0, y * 2, :] = 1.0
    return TensorDataset(x, y)


def train(model, loader, epochs, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


def benchmark(model, loader):
    model.eval()
    timings = []
    correct = 0
    with torch.inference_mode():
        for x, y in loader:
            start = time.perf_counter()
            logits = model(x)
            timings.append(time.perf_counter() - start)
            correct += (logits.argmax(1) == y).sum().item()
    timings.sort()
    p50 = timings[len(timings) // 2] * 1e3
    p95 = timings[int(len(timings) * 0.95)] * 1e3
    print(f"accuracy {correct / len(loader.dataset):.3f}  p50 {p50:.2f} ms  p95 {p95:.2f} ms")


def main():
    args = parse_args()
    torch.manual_seed(0)
    model = DigitNet()

    train_loader = DataLoader(fake_digits(args.train_size, 0), batch_size=args.batch_size, shuffle=True)
    train(model, train_loader, args.epochs, args.lr)

    bench_loader = DataLoader(fake_digits(args.bench_size, 1), batch_size=args.bench_batch_size)
    benchmark(model, bench_loader)

    model.eval()
    example = torch.rand(1, 1, 28, 28)
    traced = torch.jit.trace(model, example)
    traced.save(args.export)
    print(f"saved TorchScript model to {args.export}")


if __name__ == "__main__":
    main()
