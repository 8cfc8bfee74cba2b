"""Surrogate for a 1-D heat-exchanger simulation.

Inputs are 8 design parameters (inlet temps, flow rates, fin pitch, ...),
outputs are 3 scalar quantities of interest (outlet temp, pressure drop,
effectiveness). Training data is generated from a cheap analytic proxy of
the solver so the script is self-contained.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

N_PARAMS = 8
N_QOI = 3
N_TRAIN = 6401
N_VAL = 1600
BATCH_SIZE = 64


@dataclass
class HParams:
    width: int = 256
    depth: int = 4
    lr: float = 3e-3
    epochs: int = 150


def proxy_solver(theta):
    t_in, t_cold, m_hot, m_cold, pitch, length, k, rough = theta.unbind(-1)
    ntu = (k * length) / (0.5 + pitch) / (m_hot + 0.1)
    c_r = (m_hot / (m_cold + 0.1)).clamp(max=1.0)
    eff = (1 - torch.exp(-ntu * (1 - c_r))) / (1 - c_r * torch.exp(-ntu * (1 - c_r)) + 1e-6)
    t_out = t_in - eff * (t_in - t_cold)
    dp = rough * length * m_hot ** 2 / (pitch + 0.05)
    return torch.stack([t_out, dp, eff], dim=-1)


def build_surrogate(hp: HParams) -> nn.Sequential:
    layers = [nn.Linear(N_PARAMS, hp.width), nn.BatchNorm1d(hp.width), nn.SiLU()]  # expect: BN204
    for _ in range(hp.depth - 1):
        layers += [nn.Linear(hp.width, hp.width, bias=False), nn.BatchNorm1d(hp.width), nn.SiLU()]
    layers.append(nn.Linear(hp.width, N_QOI))
    return nn.Sequential(*layers)


class Standardizer:
    def __init__(self, x):
        self.mean = x.mean(0, keepdim=True)
        self.std = x.std(0, keepdim=True).clamp_min(1e-8)

    def __call__(self, x):
        return (x - self.mean) / self.std

    def inverse(self, z):
        return z * self.std + self.mean


def main():
    hp = HParams()
    torch.manual_seed(42)
    x_train = torch.rand(N_TRAIN, N_PARAMS)
    x_val = torch.rand(N_VAL, N_PARAMS)
    y_train, y_val = proxy_solver(x_train), proxy_solver(x_val)
    xs, ys = Standardizer(x_train), Standardizer(y_train)

    train_ds = TensorDataset(x_train, y_train)
    loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302

    model = build_surrogate(hp)
    opt = torch.optim.AdamW(model.parameters(), lr=hp.lr, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=hp.lr,
                                                total_steps=hp.epochs * len(loader))

    for epoch in range(hp.epochs):
        model.train()
        for xb, yb in loader:
            loss = nn.functional.mse_loss(model(xs(xb)), ys(yb))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()

        if epoch % 10 == 0 or epoch == hp.epochs - 1:
            model.eval()
            with torch.no_grad():
                pred = ys.inverse(model(xs(x_val)))
                rel = ((pred - y_val).abs() / y_val.abs().clamp_min(1e-3)).mean(0)
            print(f"epoch {epoch:3d} rel. err  T_out {rel[0]:.3%}  dP {rel[1]:.3%}  eff {rel[2]:.3%}")

    model.eval  # expect: BN102
    torch.save({"model": model, "x_scaler": (xs.mean, xs.std),
                "y_scaler": (ys.mean, ys.std)}, "hx_surrogate.pt")


if __name__ == "__main__":
    main()
