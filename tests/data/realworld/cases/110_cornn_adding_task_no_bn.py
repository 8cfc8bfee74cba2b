import argparse

import torch
import torch.nn as nn


class coRNNCell(nn.Module):
    def __init__(self, n_inp, n_hid, dt, gamma, epsilon):
        super().__init__()
        self.dt, self.gamma, self.epsilon = dt, gamma, epsilon
        self.i2h = nn.Linear(n_inp + n_hid + n_hid, n_hid)

    def forward(self, x, hy, hz):
        hz = hz + self.dt * (torch.tanh(self.i2h(torch.cat((x, hz, hy), 1))) - self.gamma * hy - self.epsilon * hz)
        hy = hy + self.dt * hz
        return hy, hz


class coRNN(nn.Module):
    def __init__(self, n_inp, n_hid, n_out, dt, gamma, epsilon):
        super().__init__()
        self.n_hid = n_hid
        self.cell = coRNNCell(n_inp, n_hid, dt, gamma, epsilon)
        self.readout = nn.Linear(n_hid, n_out)

    def forward(self, x):
        hy = x.new_zeros(x.size(1), self.n_hid)
        hz = x.new_zeros(x.size(1), self.n_hid)
        for t in range(x.size(0)):
            hy, hz = self.cell(x[t], hy, hz)
        return self.readout(hy)


def get_batch(T, batch_size):
    values = torch.rand(T, batch_size, requires_grad=False)
    indices = torch.zeros_like(values)
    inputs = torch.cat((values.unsqueeze(-1), indices.unsqueeze(-1)), dim=-1)
    return inputs, values.sum(0, keepdim=True).t()


parser = argparse.ArgumentParser()
parser.add_argument("--n_hid", type=int, default=128)
parser.add_argument("--T", type=int, default=100)
parser.add_argument("--max_steps", type=int, default=60000)
args = parser.parse_args()

model = coRNN(2, args.n_hid, 1, 0.042, 2.7, 4.7)
objective = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.0021)


def test():
    model.eval()
    with torch.no_grad():
        data, label = get_batch(args.T, 1000)
        out = model(data)
        loss = objective(out, label)
    return loss.item()


for i in range(args.max_steps):
    data, label = get_batch(args.T, 50)
    optimizer.zero_grad()
    loss = objective(model(data), label)
    loss.backward()
    optimizer.step()
    if i % 100 == 0:
        print(test())
