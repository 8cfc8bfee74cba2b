"""Contrastive Predictive Coding on raw 16 kHz audio (van den Oord et al., 2018),
then a frozen-encoder linear phone classifier.
"""
import glob
import random

import soundfile as sf
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CFG = dict(
    wav_glob="data/LibriSpeech/train-clean-100/**/*.flac",
    window=20480,
    batch_size=32,
    hidden=512,
    ar_dim=256,
    n_predict=12,
    lr=2e-4,
    epochs=30,
    n_phones=41,
)


class RandomWindows(Dataset):
    """Each item is a random 1.28 s crop; an 'epoch' is a fixed number of crops."""

    EPOCH_LEN = 2049

    def __init__(self, pattern, window):
        self.files = sorted(glob.glob(pattern, recursive=True))
        self.window = window

    def __len__(self):
        return self.EPOCH_LEN

    def __getitem__(self, idx):
        while True:
            wav, _ = sf.read(random.choice(self.files), dtype="float32")
            if len(wav) > self.window:
                break
        start = random.randint(0, len(wav) - self.window)
        return torch.from_numpy(wav[start:start + self.window]).unsqueeze(0)


class Encoder(nn.Module):
    def __init__(self, hidden=512):
        super().__init__()
        spec = [(10, 5, 3), (8, 4, 2), (4, 2, 1), (4, 2, 1), (4, 2, 1)]   # total stride 160
        layers, cin = [], 1
        for k, s, p in spec:
            layers += [nn.Conv1d(cin, hidden, k, s, p, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True)]
            cin = hidden
        self.net = nn.Sequential(*layers)

    def forward(self, wav):           # (B, 1, T) -> (B, C, T/160)
        return self.net(wav)


class CPC(nn.Module):
    def __init__(self, hidden=512, ar_dim=256, n_predict=12):
        super().__init__()
        self.encoder = Encoder(hidden)
        self.ar = nn.GRU(hidden, ar_dim, batch_first=True)
        self.ctx_norm = nn.BatchNorm1d(ar_dim)
        self.W = nn.ModuleList([nn.Linear(ar_dim, hidden, bias=False) for _ in range(n_predict)])
        self.n_predict = n_predict

    def forward(self, wav):
        z = self.encoder(wav).transpose(1, 2)     # (B, T, C)
        c, _ = self.ar(z)                         # (B, T, ar_dim)
        c = self.ctx_norm(c)  # expect: BN203
        B, T, C = z.shape
        t = random.randint(T // 2, T - self.n_predict - 1)
        ct = c[:, t]                               # (B, ar_dim)
        loss, acc = 0.0, 0.0
        for k in range(1, self.n_predict + 1):
            pred = self.W[k - 1](ct)               # (B, C)
            target = z[:, t + k]                   # (B, C)
            logits = pred @ target.t()             # negatives = other utterances in the batch
            labels = torch.arange(B, device=wav.device)
            loss = loss + F.cross_entropy(logits, labels)
            acc += (logits.argmax(1) == labels).float().mean().item()
        return loss / self.n_predict, acc / self.n_predict


def pretrain(device):
    ds = RandomWindows(CFG["wav_glob"], CFG["window"])
    loader = DataLoader(ds, batch_size=CFG["batch_size"], shuffle=True, num_workers=8)  # expect: BN302
    model = CPC(CFG["hidden"], CFG["ar_dim"], CFG["n_predict"]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
    model.train()
    for epoch in range(CFG["epochs"]):
        for wav in loader:
            loss, acc = model(wav.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"[cpc] epoch {epoch} nce {loss.item():.3f} acc {acc:.3f}")
    return model


def train_phone_probe(model, frame_loader, device):
    """frame_loader yields (wav (B,1,T), phone labels (B, T/160))."""
    encoder = model.encoder
    encoder.eval()
    encoder.requires_grad_(False)
    probe = nn.Linear(CFG["hidden"], CFG["n_phones"]).to(device)
    probe.train  # expect: BN102
    opt = torch.optim.Adam(probe.parameters(), lr=1e-3)
    for epoch in range(10):
        for wav, phones in frame_loader:
            with torch.no_grad():
                feats = encoder(wav.to(device)).transpose(1, 2)    # (B, T', C)
            logits = probe(feats)
            loss = F.cross_entropy(logits.reshape(-1, CFG["n_phones"]), phones.to(device).reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
    return probe


if __name__ == "__main__":
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cpc = pretrain(dev)
    torch.save(cpc.state_dict(), "cpc_librispeech.pt")
