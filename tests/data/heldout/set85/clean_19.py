import time

import numpy as np
import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset


class DepthRegressor(nn.Module):
    """Monocular depth from a 96x96 crop, coarse output (24x24)."""

    def __init__(self):
        super().__init__()

        def blk(i, o, s):
            return [nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o), nn.ELU()]

        self.enc = nn.Sequential(*blk(3, 32, 2), *blk(32, 64, 2), *blk(64, 128, 1), *blk(128, 128, 1))
        self.dec = nn.Conv2d(128, 1, 3, 1, 1)

    def forward(self, x):
        return nn.functional.softplus(self.dec(self.enc(x)))


def si_log_loss(pred, target, lam=0.85):
    d = torch.log(pred + 1e-6) - torch.log(target + 1e-6)
    return torch.sqrt((d ** 2).mean() - lam * d.mean() ** 2)


def run_epoch(model, loader, opt=None):
    """One pass over `loader`. Trains when an optimizer is given, evaluates otherwise."""
    is_train = opt is not None
    model.train(is_train)
    losses, abs_rel = [], []
    with torch.set_grad_enabled(is_train):
        for img, depth in loader:
            pred = model(img)
            loss = si_log_loss(pred, depth)
            if is_train:
                opt.zero_grad()
                loss.backward()
                opt.step()
            losses.append(loss.item())
            abs_rel.append(((pred - depth).abs() / depth).mean().item())
    return float(np.mean(losses)), float(np.mean(abs_rel))


def run_epoch_v2(model, loader, opt, training):
    # older variant kept for the ablation scripts
    set_mode = model.train if training else model.eval
    set_mode()
    total = 0.0
    for img, depth in loader:
        with torch.set_grad_enabled(training):
            loss = si_log_loss(model(img), depth)
        if training:
            opt.zero_grad()
            loss.backward()
            opt.step()
        total += loss.item()
    return total / len(loader)


def main():
    rng = torch.Generator().manual_seed(0)
    x = torch.rand(3000, 3, 96, 96, generator=rng)
    y = torch.rand(3000, 1, 24, 24, generator=rng) * 9 + 1
    train_dl = DataLoader(TensorDataset(x[:2600], y[:2600]), batch_size=32, shuffle=True)
    val_dl = DataLoader(TensorDataset(x[2600:], y[2600:]), batch_size=100)

    model = DepthRegressor()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(20):
        t = time.time()
        tr_loss, tr_rel = run_epoch(model, train_dl, opt)
        va_loss, va_rel = run_epoch(model, val_dl)
        print(f"{epoch:02d} train {tr_loss:.4f}/{tr_rel:.3f}  val {va_loss:.4f}/{va_rel:.3f}  {time.time() - t:.1f}s")

    model.eval()
    with torch.no_grad():
        sample = model(x[2600:2608])
    print("pred depth range:", sample.min().item(), sample.max().item())


if __name__ == "__main__":
    main()
