"""BYOL-style self-supervised pretraining followed by a linear probe.

The target network is an EMA of the online network and is only run under
no_grad inside the training step to produce regression targets (it stays in
training mode, as in the BYOL reference implementation). The probe extracts
features with the encoder in eval mode.
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from byol_data import TwoViewDataset, LabeledDataset  # project-local


def mlp(in_dim, hidden, out_dim):
    return nn.Sequential(nn.Linear(in_dim, hidden, bias=False), nn.BatchNorm1d(hidden),
                         nn.ReLU(inplace=True), nn.Linear(hidden, out_dim))


class Encoder(nn.Module):
    def __init__(self, dim=512):
        super().__init__()
        chans = [3, 64, 128, 256, dim]
        layers = []
        for c_in, c_out in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        self.net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x):
        return self.net(x)


class Siamese(nn.Module):
    def __init__(self, dim=512, proj=256):
        super().__init__()
        self.encoder = Encoder(dim)
        self.projector = mlp(dim, 1024, proj)

    def forward(self, x):
        return self.projector(self.encoder(x))


def byol_loss(p, z):
    return 2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1).mean()


@torch.no_grad()
def momentum_update(target, online, tau):
    for pt, po in zip(target.parameters(), online.parameters()):
        pt.mul_(tau).add_(po.detach(), alpha=1 - tau)


def pretrain(epochs=100):
    loader = DataLoader(TwoViewDataset("data/unlabeled"), batch_size=256, shuffle=True,
                        num_workers=8, drop_last=True)
    online = Siamese()
    predictor = mlp(256, 1024, 256)
    target = copy.deepcopy(online)
    params = list(online.parameters()) + list(predictor.parameters())
    optimizer = torch.optim.AdamW(params, lr=3e-4, weight_decay=1e-6)

    online.train()
    predictor.train()
    for epoch in range(epochs):
        for v1, v2 in loader:
            p1, p2 = predictor(online(v1)), predictor(online(v2))
            with torch.no_grad():
                z1, z2 = target(v1), target(v2)
            loss = byol_loss(p1, z2) + byol_loss(p2, z1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            momentum_update(target, online, tau=0.996)
        print(f"pretrain epoch {epoch}: loss {loss.item():.4f}")
    return online.encoder


def linear_probe(encoder, epochs=30):
    train_loader = DataLoader(LabeledDataset("data/labeled", "train"), batch_size=256, shuffle=True,
                              drop_last=True)
    test_loader = DataLoader(LabeledDataset("data/labeled", "test"), batch_size=512)
    probe = nn.Linear(512, 10)
    optimizer = torch.optim.SGD(probe.parameters(), lr=0.1, momentum=0.9)

    encoder.eval()
    for epoch in range(epochs):
        for x, y in train_loader:
            with torch.no_grad():
                feats = encoder(x)
            loss = F.cross_entropy(probe(feats), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    correct = total = 0
    with torch.no_grad():
        for x, y in test_loader:
            correct += (probe(encoder(x)).argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


if __name__ == "__main__":
    enc = pretrain()
    print(f"linear probe accuracy: {linear_probe(enc):.4f}")
    torch.save(enc.state_dict(), "byol_encoder.pt")
