"""Tabular self-supervised pretraining + linear probe (synthetic benchmark, SCARF-style).

Stage 1 trains an MLP encoder with a denoising objective; stage 2 freezes it and
fits a linear probe on top.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

NUM_FEATURES = 54
NUM_CLASSES = 7
NUM_SAMPLES = 20001
BATCH_SIZE = 50
HIDDEN = 256
EPOCHS_PRETRAIN = 30
EPOCHS_PROBE = 20


def mlp_block(cin, cout, p=0.1):
    return nn.Sequential(
        nn.Linear(cin, cout, bias=False),
        nn.BatchNorm1d(cout, eps=1e-3, momentum=0.01),
        nn.ReLU(inplace=True),
        nn.Dropout(p),
    )


class Encoder(nn.Module):
    def __init__(self, d_in=NUM_FEATURES, hidden=HIDDEN):
        super().__init__()
        self.input_bn = nn.BatchNorm1d(d_in)            # normalises raw features
        self.body = nn.Sequential(mlp_block(d_in, hidden), mlp_block(hidden, hidden),
                                  mlp_block(hidden, hidden // 2))
        self.out_dim = hidden // 2

    def forward(self, x):
        return self.body(self.input_bn(x))


class Denoiser(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = nn.Linear(encoder.out_dim, NUM_FEATURES)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def corrupt(x, p=0.3):
    mask = torch.rand_like(x) < p
    shuffled = x[torch.randperm(x.shape[0])]
    return torch.where(mask, shuffled, x)


def make_data(n=NUM_SAMPLES, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, NUM_FEATURES, generator=g)
    w = torch.randn(NUM_FEATURES, NUM_CLASSES, generator=g)
    y = (x @ w + 0.5 * torch.randn(n, NUM_CLASSES, generator=g)).argmax(1)
    return x, y


def accuracy(encoder, probe, loader):
    encoder.eval()
    probe.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (probe(encoder(x)).argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


def main():
    torch.manual_seed(0)
    x, y = make_data()
    full = TensorDataset(x, y)
    train_set, test_set = random_split(full, [16001, 4000], generator=torch.Generator().manual_seed(1))

    # 16001 % 50 == 1: drop the last batch so BatchNorm never sees a single sample
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=1000)

    encoder = Encoder()
    model = Denoiser(encoder)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(EPOCHS_PRETRAIN):
        model.train()
        for xb, _ in train_loader:
            loss = F.mse_loss(model(corrupt(xb)), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"pretrain {epoch}: {loss.item():.4f}")

    # linear probe: encoder frozen, BN running stats frozen too
    encoder.requires_grad_(False)
    encoder.eval()
    probe = nn.Linear(encoder.out_dim, NUM_CLASSES)
    opt = torch.optim.Adam(probe.parameters(), lr=3e-3)
    for epoch in range(EPOCHS_PROBE):
        probe.train()
        for xb, yb in train_loader:
            with torch.no_grad():
                feats = encoder(xb)
            loss = F.cross_entropy(probe(feats), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"probe {epoch}: test acc {accuracy(encoder, probe, test_loader):.4f}")


if __name__ == "__main__":
    main()
