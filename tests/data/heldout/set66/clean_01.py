"""Speaker-verification embedding extractor: TDNN front-end over log-mel frames,
a light self-attention block over time, attentive statistics pooling and an
additive-angular-margin (AAM) softmax head.

Features are (batch, n_mels, frames).
"""
from __future__ import annotations

import argparse
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

N_MELS = 80
CHANNELS = 512
EMBED_DIM = 192
ATTN_HEADS = 8


class UtteranceCrops(Dataset):
    def __init__(self, manifest: str, frames: int = 200):
        with open(manifest) as fh:
            self.rows = [json.loads(line) for line in fh]
        self.speakers = sorted({r["speaker"] for r in self.rows})
        self.spk_index = {s: i for i, s in enumerate(self.speakers)}
        self.frames = frames

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, idx: int):
        row = self.rows[idx]
        feats = torch.load(row["features"])
        if feats.shape[1] > self.frames:
            start = torch.randint(0, feats.shape[1] - self.frames + 1, (1,)).item()
            feats = feats[:, start:start + self.frames]
        else:
            feats = F.pad(feats, (0, self.frames - feats.shape[1]))
        return feats, self.spk_index[row["speaker"]]


def tdnn(in_ch: int, out_ch: int, kernel: int, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(in_ch, out_ch, kernel, dilation=dilation, padding=dilation * (kernel // 2), bias=False),
        nn.ReLU(inplace=True),
        nn.BatchNorm1d(out_ch),
    )


class AttentiveStatsPool(nn.Module):
    def __init__(self, channels: int, bottleneck: int = 128):
        super().__init__()
        self.attn = nn.Sequential(
            nn.Conv1d(channels, bottleneck, 1), nn.Tanh(), nn.Conv1d(bottleneck, channels, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.softmax(self.attn(x), dim=2)
        mu = (x * w).sum(dim=2)
        sigma = ((x ** 2) * w).sum(dim=2).sub(mu ** 2).clamp_min(1e-5).sqrt()
        return torch.cat([mu, sigma], dim=1)


class SpeakerEncoder(nn.Module):
    def __init__(self, n_mels: int = N_MELS, channels: int = CHANNELS, embed_dim: int = EMBED_DIM):
        super().__init__()
        self.frontend = nn.Sequential(
            tdnn(n_mels, channels, 5),
            tdnn(channels, channels, 3, dilation=2),
            tdnn(channels, channels, 3, dilation=3),
        )
        self.context = nn.TransformerEncoderLayer(channels, ATTN_HEADS, dim_feedforward=2 * channels,
                                                  dropout=0.1, batch_first=True)
        self.post_norm = nn.BatchNorm1d(channels)
        self.expand = nn.Conv1d(channels, 3 * channels, 1, bias=False)
        self.expand_bn = nn.BatchNorm1d(3 * channels)
        self.pool = AttentiveStatsPool(3 * channels)
        self.pool_bn = nn.BatchNorm1d(2 * 3 * channels)
        self.embed = nn.Linear(6 * channels, embed_dim, bias=False)
        self.embed_bn = nn.BatchNorm1d(embed_dim)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        x = self.frontend(feats - feats.mean(dim=2, keepdim=True))  # (N, C, T)
        x = x.transpose(1, 2)                                       # (N, T, C)
        x = self.context(x)
        x = self.post_norm(x.transpose(1, 2))                       # back to (N, C, T)
        x = F.relu(self.expand_bn(self.expand(x)))
        x = self.pool_bn(self.pool(x))                               # (N, 6C)
        return self.embed_bn(self.embed(x))


class AAMSoftmax(nn.Module):
    def __init__(self, embed_dim: int, num_speakers: int, margin: float = 0.2, scale: float = 30.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num_speakers, embed_dim) * 0.01)
        self.margin, self.scale = margin, scale

    def forward(self, emb: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        cos = F.linear(F.normalize(emb), F.normalize(self.weight)).clamp(-1 + 1e-7, 1 - 1e-7)
        target = torch.cos(torch.acos(cos) + self.margin)
        onehot = F.one_hot(labels, cos.shape[1]).bool()
        return F.cross_entropy(self.scale * torch.where(onehot, target, cos), labels)


def prepare_for_scoring(model: nn.Module) -> nn.Module:
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def score_trials(model: nn.Module, trials_path: str, device: str) -> float:
    scores, labels = [], []
    with open(trials_path) as fh, torch.no_grad():
        for line in fh:
            label, enroll, test = line.split()
            e = model(torch.load(enroll).unsqueeze(0).to(device))
            t = model(torch.load(test).unsqueeze(0).to(device))
            scores.append(F.cosine_similarity(e, t).item())
            labels.append(int(label))
    s, y = torch.tensor(scores), torch.tensor(labels)
    thresholds = torch.sort(s).values
    far = torch.stack([((s >= th) & (y == 0)).sum() / (y == 0).sum() for th in thresholds])
    frr = torch.stack([((s < th) & (y == 1)).sum() / (y == 1).sum() for th in thresholds])
    i = torch.argmin((far - frr).abs())
    return ((far[i] + frr[i]) / 2).item()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="data/vox2_train.jsonl")
    p.add_argument("--trials", default="data/vox1_O_trials.txt")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=128)
    args = p.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    ds = UtteranceCrops(args.train)
    loader = DataLoader(ds, batch_size=args.batch_size, shuffle=True, num_workers=12, drop_last=True)
    model = SpeakerEncoder().to(device)
    head = AAMSoftmax(EMBED_DIM, len(ds.speakers)).to(device)
    opt = torch.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=1e-3, weight_decay=2e-5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs * len(loader))

    for epoch in range(args.epochs):
        model.train()
        for feats, spk in loader:
            loss = head(model(feats.to(device)), spk.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch}: aam loss {loss.item():.3f} lr {sched.get_last_lr()[0]:.2e}")
    torch.save(model.state_dict(), "speaker_encoder.pt")

    eer = score_trials(prepare_for_scoring(model), args.trials, device)
    print(f"Vox1-O EER: {100 * eer:.2f}%")


if __name__ == "__main__":
    main()
