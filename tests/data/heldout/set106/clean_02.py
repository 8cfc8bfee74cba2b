# TCN for the "adding problem" / sequence regression benchmark.
# Causal dilated convolutions with BatchNorm; synthetic data generated on the fly.
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

SEQ_LEN = 400
N_TRAIN = 50017  # 50017 % 32 == 1: last batch handled with drop_last
N_TEST = 1000
CHANNELS = [30, 30, 30, 30, 30, 30, 30, 30]
BN_EPS = 1e-3


def adding_problem(n, seq_len):
    values = torch.rand(n, 1, seq_len)
    markers = torch.zeros(n, 1, seq_len)
    for i in range(n):
        a, b = torch.randperm(seq_len)[:2]
        markers[i, 0, a] = 1.0
        markers[i, 0, b] = 1.0
    x = torch.cat([values, markers], dim=1)  # (n, 2, seq_len)
    y = (values * markers).sum(dim=2)  # (n, 1)
    return x, y


class CausalConv1d(nn.Conv1d):
    def __init__(self, in_ch, out_ch, kernel_size, dilation=1):
        super().__init__(in_ch, out_ch, kernel_size, padding=(kernel_size - 1) * dilation, dilation=dilation, bias=False)
        self._trim = (kernel_size - 1) * dilation

    def forward(self, x):
        out = super().forward(x)
        return out[:, :, :-self._trim] if self._trim else out


class TemporalBlock(nn.Module):
    def __init__(self, n_in, n_out, kernel_size, dilation, dropout=0.0):
        super().__init__()
        self.conv1 = CausalConv1d(n_in, n_out, kernel_size, dilation)
        self.bn1 = nn.BatchNorm1d(n_out, BN_EPS)
        self.conv2 = CausalConv1d(n_out, n_out, kernel_size, dilation)
        self.bn2 = nn.BatchNorm1d(n_out, BN_EPS, momentum=0.01)
        self.drop = nn.Dropout(dropout)
        if n_in != n_out:
            self.downsample = nn.Sequential(nn.Conv1d(n_in, n_out, 1, bias=False), nn.BatchNorm1d(n_out))
        else:
            self.downsample = nn.Identity()

    def forward(self, x):
        out = self.drop(F.relu(self.bn1(self.conv1(x))))
        out = self.drop(F.relu(self.bn2(self.conv2(out))))
        return F.relu(out + self.downsample(x))


class TCN(nn.Module):
    def __init__(self, input_size, output_size, channels, kernel_size=7, dropout=0.0):
        super().__init__()
        blocks = []
        for i, out_ch in enumerate(channels):
            in_ch = input_size if i == 0 else channels[i - 1]
            blocks += [TemporalBlock(in_ch, out_ch, kernel_size, dilation=2 ** i, dropout=dropout)]
        self.network = nn.Sequential(*blocks)
        self.linear = nn.Linear(channels[-1], output_size)

    def forward(self, x):
        y = self.network(x)  # (N, C, L)
        return self.linear(y[:, :, -1])


def main():
    parser = argparse.ArgumentParser(description="TCN adding problem")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=4e-3)
    parser.add_argument("--clip", type=float, default=-1)
    args = parser.parse_args()

    torch.manual_seed(1111)
    x_train, y_train = adding_problem(N_TRAIN, SEQ_LEN)
    x_test, y_test = adding_problem(N_TEST, SEQ_LEN)
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True, drop_last=True)
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=N_TEST)

    model = TCN(2, 1, CHANNELS)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch_idx, (x, y) in enumerate(train_loader):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            if args.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            if batch_idx % 200 == 0:
                print(f"epoch {epoch} [{batch_idx * len(x)}/{N_TRAIN}] loss {loss.item():.6f}")

        model.eval()
        with torch.no_grad():
            test_loss = sum(F.mse_loss(model(x), y, reduction="sum").item() for x, y in test_loader) / N_TEST
        print(f"epoch {epoch}: test MSE {test_loss:.6f}")

    torch.save(model.state_dict(), "tcn_adding.pt")


if __name__ == "__main__":
    main()
