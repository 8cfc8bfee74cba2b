"""Neural surrogate for a reactive-transport simulator.

Each row of the design table is one simulation run: 10 input parameters
(porosity, permeability, injection rate, ...), 4 outputs (breakthrough time,
peak concentration, plume extent, mass recovered). A residual MLP with
BatchNorm is fit to log-transformed outputs, then used for a cheap
Monte-Carlo sensitivity study.
"""
import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

N_RUNS = 5000
N_IN, N_OUT = 10, 4
BATCH_SIZE = 128  # 5000 % 128 == 8


class ResBlock(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc1 = nn.Linear(width, width, bias=False)
        self.bn1 = nn.BatchNorm1d(width, 1e-3)       # second positional arg is eps (1e-3), on purpose
        self.fc2 = nn.Linear(width, width, bias=False)
        self.bn2 = nn.BatchNorm1d(width, eps=1e-3, momentum=0.05)

    def forward(self, x):
        h = torch.relu(self.bn1(self.fc1(x)))
        return torch.relu(x + self.bn2(self.fc2(h)))


class Surrogate(nn.Module):
    def __init__(self, width=128, blocks=3):
        super().__init__()
        # input standardisation learned as a non-affine BN on the raw design variables;
        # the input projection keeps its bias because this BN has no affine shift of its own
        self.inp = nn.Linear(N_IN, width)
        self.inp_bn = nn.BatchNorm1d(width, affine=False)
        self.blocks = nn.Sequential(*[ResBlock(width) for _ in range(blocks)])
        self.out = nn.Linear(width, N_OUT)

    def forward(self, x):
        return self.out(self.blocks(torch.relu(self.inp_bn(self.inp(x)))))


def simulator_proxy(p):
    poro, logk, rate = p[:, 0], p[:, 1], p[:, 2]
    disp = p[:, 3:].sum(1)
    t_break = 2.0 + poro * 30 / (rate + 0.1) * torch.exp(-0.3 * logk)
    c_peak = 1.0 / (1.0 + disp) * torch.sigmoid(4 * logk - 2)
    extent = 50 * torch.sqrt(rate * t_break) * (1 + 0.1 * disp)
    recov = 1 - torch.exp(-t_break / (5 + disp))
    return torch.stack([t_break, c_peak, extent, recov], 1)


def predict(model, params):
    model.train(False)
    with torch.no_grad():
        return torch.exp(model(params))


def main():
    torch.manual_seed(3)
    params = torch.rand(N_RUNS, N_IN)
    outputs = simulator_proxy(params)
    log_y = outputs.clamp_min(1e-6).log()
    ds = TensorDataset(params, log_y)
    loader = DataLoader(ds, batch_size=BATCH_SIZE, shuffle=True)

    model = Surrogate()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=10)
    held_out = torch.rand(1000, N_IN)
    held_y = simulator_proxy(held_out)

    for epoch in range(300):
        model.train()
        epoch_loss = 0.0
        for xb, yb in loader:
            loss = nn.functional.mse_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            epoch_loss += loss.item() * len(xb)
        sched.step(epoch_loss / N_RUNS)
        if epoch % 25 == 0:
            rel = ((predict(model, held_out) - held_y).abs() / held_y.abs()).median(0).values
            print(epoch, [f"{r:.2%}" for r in rel.tolist()])

    # Monte-Carlo first-order sensitivity of breakthrough time
    model.eval()
    base = predict(model, torch.rand(20_000, N_IN))[:, 0]
    var_total = base.var()
    for j in range(N_IN):
        xs = torch.rand(20_000, N_IN)
        xs[:, j] = 0.5
        var_cond = predict(model, xs)[:, 0].var()
        print(f"param {j}: S_j ~ {max(0.0, 1 - var_cond / var_total):.3f}")
    print("sqrt(total var):", math.sqrt(float(var_total)))


if __name__ == "__main__":
    main()
