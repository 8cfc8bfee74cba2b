"""BYOL self-supervised pre-training, k-NN monitoring and linear evaluation.

* The target network is an EMA of the online network. As in the reference
  implementation it runs in training mode (batch statistics) under no_grad
  inside the training step; it is never given to the optimiser.
* The k-NN monitor switches the encoder to eval and back.
* Linear evaluation freezes the encoder completely (eval + no grad) and trains
  only the probe.
"""
from __future__ import annotations

import argparse
import copy
import logging
import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("byol")


# ------------------------------------------------------------------ networks
class Encoder(nn.Module):
    def __init__(self, widths: Tuple[int, ...] = (64, 128, 256, 512)) -> None:
        super().__init__()
        layers: List[nn.Module] = []
        in_ch = 3
        for i, w in enumerate(widths):
            layers += [
                nn.Conv2d(in_ch, w, 3, stride=1 if i == 0 else 2, padding=1, bias=False),
                nn.BatchNorm2d(w),
                nn.ReLU(inplace=True),
                nn.Conv2d(w, w, 3, padding=1, bias=False),
                nn.BatchNorm2d(w),
                nn.ReLU(inplace=True),
            ]
            in_ch = w
        self.net = nn.Sequential(*layers)
        self.out_dim = in_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(self.net(x), 1).flatten(1)


class MLPHead(nn.Sequential):
    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int) -> None:
        super().__init__(
            nn.Linear(in_dim, hidden_dim, bias=False),
            nn.BatchNorm1d(hidden_dim),
            nn.ReLU(inplace=True),
            nn.Linear(hidden_dim, out_dim),
        )


class BYOL(nn.Module):
    def __init__(self, encoder: Encoder, proj_dim: int = 256, hidden_dim: int = 4096,
                 base_tau: float = 0.996) -> None:
        super().__init__()
        self.online_encoder = encoder
        self.online_projector = MLPHead(encoder.out_dim, hidden_dim, proj_dim)
        self.predictor = MLPHead(proj_dim, hidden_dim, proj_dim)
        self.target_encoder = copy.deepcopy(self.online_encoder)
        self.target_projector = copy.deepcopy(self.online_projector)
        self.base_tau = base_tau

    def online_parameters(self):
        yield from self.online_encoder.parameters()
        yield from self.online_projector.parameters()
        yield from self.predictor.parameters()

    @torch.no_grad()
    def update_target(self, step: int, total_steps: int) -> float:
        tau = 1 - (1 - self.base_tau) * (math.cos(math.pi * step / total_steps) + 1) / 2
        pairs = [(self.online_encoder, self.target_encoder), (self.online_projector, self.target_projector)]
        for online, target in pairs:
            for po, pt in zip(online.parameters(), target.parameters()):
                pt.mul_(tau).add_(po.detach(), alpha=1 - tau)
        return tau

    @staticmethod
    def regression_loss(p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return 2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1).mean()

    def forward(self, v1: torch.Tensor, v2: torch.Tensor) -> torch.Tensor:
        p1 = self.predictor(self.online_projector(self.online_encoder(v1)))
        p2 = self.predictor(self.online_projector(self.online_encoder(v2)))
        with torch.no_grad():
            z1 = self.target_projector(self.target_encoder(v1))
            z2 = self.target_projector(self.target_encoder(v2))
        return self.regression_loss(p1, z2) + self.regression_loss(p2, z1)


# --------------------------------------------------------------- augmentation
def augment(x: torch.Tensor) -> torch.Tensor:
    flip = torch.rand(x.size(0), 1, 1, 1, device=x.device) < 0.5
    x = torch.where(flip, x.flip(3), x)
    x = x * (1 + 0.4 * (torch.rand(x.size(0), 3, 1, 1, device=x.device) - 0.5))
    return x + 0.05 * torch.randn_like(x)


# ------------------------------------------------------------------- monitor
@torch.no_grad()
def extract_features(encoder: nn.Module, loader: DataLoader, device) -> Tuple[torch.Tensor, torch.Tensor]:
    feats, labels = [], []
    for x, y in loader:
        feats.append(F.normalize(encoder(x.to(device)), dim=1).cpu())
        labels.append(y)
    return torch.cat(feats), torch.cat(labels)


def knn_monitor(encoder: nn.Module, bank_loader: DataLoader, test_loader: DataLoader, device,
                k: int = 20, temperature: float = 0.1, num_classes: int = 10) -> float:
    encoder.eval()
    bank, bank_labels = extract_features(encoder, bank_loader, device)
    test, test_labels = extract_features(encoder, test_loader, device)
    encoder.train()
    sim = test @ bank.T
    weights, idx = sim.topk(k, dim=1)
    weights = (weights / temperature).exp()
    votes = torch.zeros(test.size(0), num_classes).scatter_add_(1, bank_labels[idx], weights)
    return (votes.argmax(1) == test_labels).float().mean().item()


# ------------------------------------------------------------------ training
def pretrain(byol: BYOL, loader: DataLoader, bank_loader: DataLoader, test_loader: DataLoader,
             epochs: int, lr: float, device) -> None:
    opt = torch.optim.SGD(byol.online_parameters(), lr=lr, momentum=0.9, weight_decay=1.5e-6)
    total_steps = epochs * len(loader)
    step = 0
    for epoch in range(epochs):
        byol.train()
        for x, _ in loader:
            x = x.to(device, non_blocking=True)
            loss = byol(augment(x), augment(x))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tau = byol.update_target(step, total_steps)
            step += 1
        acc = knn_monitor(byol.online_encoder, bank_loader, test_loader, device)
        log.info("epoch %d loss %.4f tau %.4f knn@20 %.4f", epoch, loss.item(), tau, acc)


def linear_eval(encoder: nn.Module, train_loader: DataLoader, test_loader: DataLoader,
                num_classes: int, epochs: int, device) -> float:
    encoder.eval()
    encoder.requires_grad_(False)
    probe = nn.Sequential(
        nn.BatchNorm1d(encoder.out_dim, affine=False, eps=1e-6),
        nn.Linear(encoder.out_dim, num_classes),
    ).to(device)
    opt = torch.optim.SGD(probe.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for epoch in range(epochs):
        probe.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            with torch.no_grad():
                feats = encoder(x)
            loss = F.cross_entropy(probe(feats), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()

    probe.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in test_loader:
            pred = probe(encoder(x.to(device))).argmax(1).cpu()
            correct += (pred == y).sum().item()
            total += y.numel()
    return correct / max(total, 1)


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--pretrain-epochs", type=int, default=200)
    p.add_argument("--probe-epochs", type=int, default=90)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=0.2)
    p.add_argument("--save", default="byol_encoder.pt")
    args = p.parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    n_unlab, n_lab, n_test = 50_000, 10_000, 2_000
    unlabeled = TensorDataset(torch.randn(n_unlab, 3, 32, 32), torch.zeros(n_unlab, dtype=torch.long))
    labeled = TensorDataset(torch.randn(n_lab, 3, 32, 32), torch.randint(0, 10, (n_lab,)))
    test = TensorDataset(torch.randn(n_test, 3, 32, 32), torch.randint(0, 10, (n_test,)))

    pre_loader = DataLoader(unlabeled, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=8)
    bank_loader = DataLoader(labeled, batch_size=512)
    test_loader = DataLoader(test, batch_size=512)
    probe_loader = DataLoader(labeled, batch_size=args.batch_size, shuffle=True, drop_last=True)

    byol = BYOL(Encoder()).to(device)
    pretrain(byol, pre_loader, bank_loader, test_loader, args.pretrain_epochs, args.lr, device)
    torch.save(byol.online_encoder.state_dict(), args.save)

    acc = linear_eval(byol.online_encoder, probe_loader, test_loader, 10, args.probe_epochs, device)
    log.info("linear probe top-1: %.4f", acc)


if __name__ == "__main__":
    main()
