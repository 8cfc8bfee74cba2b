# Modelled on: https://github.com/pytorch/pytorch/issues/88474 ("Mixed precision training fails due to NaN in
# batch norm running_mean": an overflowing batch is skipped by the GradScaler, but it already wrote NaN into the
# running statistics, seen only at evaluation). On CPU without AMP, the overflow is a batch holding inf.
# Bug: BN401 (runtime only: no static rule can see it).
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse

args = parse()
network = nn.Sequential(nn.Conv1d(3, 16, 3, padding=1), nn.ReLU(), nn.BatchNorm1d(16), nn.Conv1d(16, 4, 1),
                        nn.AdaptiveAvgPool1d(1), nn.Flatten())
data = torch.rand(128, 3, 10)
data[77, 0, 3] = float("inf")  # the batch that overflowed in half precision
loader = DataLoader(TensorDataset(data, torch.randint(0, 4, (128,))), batch_size=16)
optimizer = torch.optim.SGD(network.parameters(), lr=0.01)
step = 0
with Clock():
    while step < args.steps:
        network.train()
        for x, y in loader:
            loss = nn.functional.cross_entropy(network(x), y)
            optimizer.zero_grad()
            loss.backward()
            if torch.isfinite(loss):  # what the GradScaler does: skip the step, not the statistics update
                optimizer.step()
            step += 1
            if step >= args.steps:
                break
network.eval()
with torch.no_grad():
    print("eval output finite:", bool(torch.isfinite(network(torch.rand(4, 3, 10))).all()))
