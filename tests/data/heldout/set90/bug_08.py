"""Character-level SMILES VAE (Gomez-Bombarelli et al. style), GRU encoder/decoder.

Sequences are padded to MAX_LEN; latent mean is batch-normalised (BN-VAE trick)
to keep the KL term from collapsing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

PAD, BOS, EOS = 0, 1, 2
MAX_LEN = 128
EMB_DIM = 128
HIDDEN = 488
LATENT = 56


class SmilesDataset(Dataset):
    def __init__(self, path: str, vocab: dict[str, int]):
        self.smiles = [l.strip() for l in Path(path).read_text().splitlines() if l.strip()]
        self.vocab = vocab

    def __len__(self) -> int:
        return len(self.smiles)

    def __getitem__(self, i: int) -> torch.Tensor:
        ids = [BOS] + [self.vocab[c] for c in self.smiles[i]][: MAX_LEN - 2] + [EOS]
        ids += [PAD] * (MAX_LEN - len(ids))
        return torch.tensor(ids, dtype=torch.long)


class SmilesVAE(nn.Module):
    def __init__(self, vocab_size: int, emb_dim: int = EMB_DIM, hidden: int = HIDDEN, latent: int = LATENT):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD)
        self.emb_bn = nn.BatchNorm1d(emb_dim)
        self.encoder = nn.GRU(emb_dim, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.fc_mu = nn.Linear(2 * hidden, latent, bias=False)
        self.fc_logvar = nn.Linear(2 * hidden, latent)
        self.mu_bn = nn.BatchNorm1d(latent, latent)  # expect: BN206
        self.fc_z = nn.Linear(latent, hidden)
        self.decoder = nn.GRU(emb_dim + latent, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)

    def encode(self, tokens: torch.Tensor):
        x = self.embedding(tokens)          # (B, T, E)
        x = self.emb_bn(x)  # expect: BN203
        _, h = self.encoder(x)              # h: (num_layers*2, B, H)
        h = torch.cat([h[-2], h[-1]], dim=-1)
        mu = self.mu_bn(self.fc_mu(h))
        return mu, self.fc_logvar(h)

    def decode(self, z: torch.Tensor, tokens: torch.Tensor):
        emb = self.embedding(tokens[:, :-1])
        z_rep = z.unsqueeze(1).expand(-1, emb.size(1), -1)
        h0 = torch.tanh(self.fc_z(z)).unsqueeze(0)
        out, _ = self.decoder(torch.cat([emb, z_rep], -1), h0)
        return self.out(out)

    def forward(self, tokens: torch.Tensor):
        mu, logvar = self.encode(tokens)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z, tokens), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, device) -> torch.Tensor:
        z = torch.randn(n, self.fc_z.in_features, device=device)
        h = torch.tanh(self.fc_z(z)).unsqueeze(0)
        tok = torch.full((n, 1), BOS, dtype=torch.long, device=device)
        outs = []
        for _ in range(MAX_LEN - 1):
            inp = torch.cat([self.embedding(tok), z.unsqueeze(1)], -1)
            o, h = self.decoder(inp, h)
            tok = self.out(o).argmax(-1)
            outs.append(tok)
        return torch.cat(outs, 1)


@dataclass
class TrainConfig:
    train_path: str = "data/zinc250k_train.txt"
    valid_path: str = "data/zinc250k_valid.txt"
    batch_size: int = 256
    epochs: int = 60
    lr: float = 1e-3
    kl_warmup: int = 20
    device: str = "cuda"


class Trainer:
    def __init__(self, cfg: TrainConfig, vocab: dict[str, int]):
        self.cfg = cfg
        self.vocab = vocab
        self.model = SmilesVAE(len(vocab)).to(cfg.device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.train_loader = DataLoader(SmilesDataset(cfg.train_path, vocab), batch_size=cfg.batch_size,
                                       shuffle=True, num_workers=4, drop_last=True)
        self.valid_loader = DataLoader(SmilesDataset(cfg.valid_path, vocab), batch_size=512)

    def kl_weight(self, epoch: int) -> float:
        return min(1.0, 0.5 * (1 - math.cos(math.pi * epoch / self.cfg.kl_warmup)))

    def step(self, tokens: torch.Tensor, beta: float):
        logits, mu, logvar = self.model(tokens)
        rec = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tokens[:, 1:].reshape(-1),
                              ignore_index=PAD)
        kl = -0.5 * torch.mean(torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1))
        return rec + beta * kl, rec, kl

    def fit(self):
        self.model.train  # expect: BN102
        for epoch in range(self.cfg.epochs):
            beta = self.kl_weight(epoch)
            for i, tokens in enumerate(self.train_loader):
                tokens = tokens.to(self.cfg.device)
                loss, rec, kl = self.step(tokens, beta)
                self.opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                self.opt.step()
                if i % 100 == 0:
                    print(f"ep {epoch} it {i} rec {rec.item():.3f} kl {kl.item():.3f} beta {beta:.2f}")

    def validate(self) -> float:
        self.model.eval()
        tot, n = 0.0, 0
        with torch.no_grad():
            for tokens in self.valid_loader:
                tokens = tokens.to(self.cfg.device)
                loss, _, _ = self.step(tokens, 1.0)
                tot += loss.item() * tokens.size(0)
                n += tokens.size(0)
        return tot / n


if __name__ == "__main__":
    chars = sorted(set("".join(Path(TrainConfig.train_path).read_text().split())))
    vocab = {c: i + 3 for i, c in enumerate(chars)}
    trainer = Trainer(TrainConfig(), vocab)
    trainer.fit()
    print("valid ELBO:", trainer.validate())
    trainer.model.eval()
    print(trainer.model.sample(16, trainer.cfg.device)[:4])
