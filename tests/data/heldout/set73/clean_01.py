"""Age regression from face crops, step-based schedule, TorchScript export."""
import argparse
import contextlib
import math
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class AgeNet(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        chans = [3, width, width * 2, width * 4, width * 8]
        blocks = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            blocks.append(nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ))
        self.body = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Linear(width * 8, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.Linear(128, 1),
        )

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.body(x), 1).flatten(1)
        return self.head(x).squeeze(1)


@contextlib.contextmanager
def eval_mode(model):
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def mean_absolute_error(model, loader, device):
    err, n = 0.0, 0
    with eval_mode(model), torch.no_grad():
        for x, age in loader:
            pred = model(x.to(device))
            err += (pred.cpu() - age).abs().sum().item()
            n += age.numel()
    return err / max(n, 1)


def batches_forever(loader):
    epoch = 0
    while True:
        for batch in loader:
            yield epoch, batch
        epoch += 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, default=Path("data/faces"))
    p.add_argument("--steps", type=int, default=30_000)
    p.add_argument("--eval-every", type=int, default=1_500)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--out", type=Path, default=Path("export/agenet.ts"))
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.out.parent.mkdir(parents=True, exist_ok=True)

    train_loader = DataLoader(torch.load(args.data / "train.pt"), batch_size=args.batch_size,
                              shuffle=True, drop_last=True, num_workers=4)
    val_loader = DataLoader(torch.load(args.data / "val.pt"), batch_size=256, num_workers=4)

    model = AgeNet().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    warmup = 1000

    def lr_lambda(s):
        if s < warmup:
            return (s + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (s - warmup) / (args.steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    stream = batches_forever(train_loader)
    best_mae = float("inf")
    step = 0
    model.train()
    while step < args.steps:
        epoch, (x, age) = next(stream)
        x, age = x.to(device), age.to(device).float()
        loss = F.smooth_l1_loss(model(x), age, beta=2.0)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        step += 1

        if step % args.eval_every == 0 or step == args.steps:
            mae = mean_absolute_error(model, val_loader, device)
            print(f"epoch {epoch} step {step}: train loss {loss.item():.3f} val MAE {mae:.2f}")
            if mae < best_mae:
                best_mae = mae
                torch.save(model.state_dict(), args.out.with_suffix(".pt"))

    model.load_state_dict(torch.load(args.out.with_suffix(".pt"), map_location=device))
    with eval_mode(model):
        scripted = torch.jit.trace(model, torch.randn(1, 3, 112, 112, device=device))
    scripted.save(str(args.out))
    print(f"best val MAE {best_mae:.2f}; exported {args.out}")


if __name__ == "__main__":
    main()
