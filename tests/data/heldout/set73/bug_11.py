"""Keyword spotting on MFCC frames with a 1-D CNN; exported to ONNX for the
microcontroller toolchain."""
import argparse
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class TemporalBlock(nn.Module):
    def __init__(self, cin, cout, kernel, dilation=1):
        super().__init__()
        pad = (kernel - 1) // 2 * dilation
        self.conv = nn.Conv1d(cin, cout, kernel, padding=pad, dilation=dilation, bias=False)
        self.bn = nn.BatchNorm1d(cout)
        self.skip = nn.Conv1d(cin, cout, 1, bias=False) if cin != cout else nn.Identity()

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)) + self.skip(x))


class KWSNet(nn.Module):
    def __init__(self, n_mfcc=40, num_words=12):
        super().__init__()
        self.blocks = nn.Sequential(
            TemporalBlock(n_mfcc, 64, 5),
            TemporalBlock(64, 64, 3, dilation=2),
            TemporalBlock(64, 96, 3, dilation=4),
            TemporalBlock(96, 96, 3, dilation=8),
        )
        self.out = nn.Linear(96, num_words)

    def forward(self, mfcc):
        return self.out(self.blocks(mfcc).mean(dim=-1))


@contextmanager
def evaluating(model):
    previous = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(previous)


def accuracy(model, loader, device):
    hits = total = 0
    with evaluating(model), torch.no_grad():
        for x, y in loader:
            hits += (model(x.to(device)).argmax(-1).cpu() == y).sum().item()
            total += y.numel()
    return hits / max(total, 1)


def augment(x):
    shift = int(torch.randint(-8, 9, (1,)))
    x = torch.roll(x, shifts=shift, dims=-1)
    return x + 0.01 * torch.randn_like(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, default=Path("data/kws"))
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--export", type=Path, default=None)
    p.add_argument("--target-acc", type=float, default=0.0)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader = DataLoader(torch.load(args.data / "train.pt"), batch_size=args.batch_size,
                              shuffle=True, drop_last=True, num_workers=2)
    val_loader = DataLoader(torch.load(args.data / "val.pt"), batch_size=500)

    model = KWSNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=15, gamma=0.3)
    best_acc, best_state = 0.0, None

    for epoch in range(args.epochs):
        model.train  # expect: BN102
        for x, y in train_loader:
            x, y = augment(x.to(device)), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = accuracy(model, val_loader, device)
        print(f"epoch {epoch:02d} val acc {acc:.4f}")
        if acc > best_acc:
            best_acc = acc
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    if best_state is None or best_acc < args.target_acc:
        print("model did not reach the target accuracy; nothing exported")
        return
    model.load_state_dict(best_state)
    torch.save(best_state, args.data / "kwsnet_best.pt")

    if args.export is not None:
        example = torch.randn(1, 40, 98, device=device)
        torch.onnx.export(model, example, str(args.export), opset_version=13,  # expect: BN104
                          input_names=["mfcc"], output_names=["logits"])
        print(f"exported to {args.export} (val acc {best_acc:.4f})")


if __name__ == "__main__":
    main()
