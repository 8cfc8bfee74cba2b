"""Sensor anomaly detection with a 1-D convolutional autoencoder.

train:  fit on windows of normal operation, calibrate a threshold on held-out normal data
score:  stream a recording window by window and flag windows above the threshold
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class Windows(Dataset):
    def __init__(self, path: Path, window=256, stride=64, stats=None):
        data = np.load(path).astype(np.float32)                 # (T, channels)
        self.mean, self.std = stats if stats else (data.mean(0), data.std(0) + 1e-6)
        self.data = torch.from_numpy((data - self.mean) / self.std).T.contiguous()   # (channels, T)
        self.starts = list(range(0, self.data.size(1) - window + 1, stride))
        self.window = window

    def __len__(self):
        return len(self.starts)

    def __getitem__(self, i):
        s = self.starts[i]
        return self.data[:, s:s + self.window], s


def enc_block(cin, cout):
    return nn.Sequential(nn.Conv1d(cin, cout, 7, stride=2, padding=3, bias=False), nn.BatchNorm1d(cout), nn.GELU())


def dec_block(cin, cout):
    return nn.Sequential(nn.ConvTranspose1d(cin, cout, 4, stride=2, padding=1, bias=False), nn.BatchNorm1d(cout),
                         nn.GELU())


class ConvAE(nn.Module):
    def __init__(self, channels=12, width=32):
        super().__init__()
        self.encoder = nn.Sequential(enc_block(channels, width), enc_block(width, width * 2),
                                     enc_block(width * 2, width * 4))
        self.decoder = nn.Sequential(dec_block(width * 4, width * 2), dec_block(width * 2, width),
                                     nn.ConvTranspose1d(width, channels, 4, stride=2, padding=1))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def reconstruction_error(model, x):
    return F.mse_loss(model(x), x, reduction="none").mean(dim=(1, 2))


def train(args):
    train_ds = Windows(args.data / "normal_train.npy")
    stats = (train_ds.mean, train_ds.std)
    calib_ds = Windows(args.data / "normal_calib.npy", stats=stats)
    loader = DataLoader(train_ds, batch_size=128, shuffle=True, drop_last=True)
    model = ConvAE(channels=train_ds.data.size(0))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        model.train()
        for x, _ in loader:
            loss = reconstruction_error(model, x).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: train mse {loss.item():.5f}")

    model.eval()
    with torch.no_grad():
        errs = torch.cat([reconstruction_error(model, x) for x, _ in DataLoader(calib_ds, batch_size=512)])
    threshold = float(torch.quantile(errs, args.quantile))
    torch.save({"model": model.state_dict(), "mean": stats[0], "std": stats[1], "threshold": threshold,
                "channels": train_ds.data.size(0)}, args.ckpt)
    print(f"threshold at q={args.quantile}: {threshold:.5f}")


@torch.inference_mode()
def score(args):
    ckpt = torch.load(args.ckpt, weights_only=False)
    model = ConvAE(channels=ckpt["channels"])
    model.load_state_dict(ckpt["model"])
    model.eval()
    stream = DataLoader(Windows(args.recording, stride=256, stats=(ckpt["mean"], ckpt["std"])), batch_size=1)
    alarms = []
    for x, start in stream:
        err = reconstruction_error(model, x).item()
        if err > ckpt["threshold"]:
            alarms.append({"start": int(start), "error": err})
    print(json.dumps({"windows": len(stream), "alarms": alarms[:50], "n_alarms": len(alarms)}, indent=2))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data", type=Path, required=True)
    t.add_argument("--epochs", type=int, default=40)
    t.add_argument("--quantile", type=float, default=0.995)
    t.add_argument("--ckpt", type=Path, default=Path("ae.pt"))
    s = sub.add_parser("score")
    s.add_argument("--recording", type=Path, required=True)
    s.add_argument("--ckpt", type=Path, default=Path("ae.pt"))
    args = parser.parse_args()
    if args.cmd == "train":
        train(args)
    else:
        score(args)


if __name__ == "__main__":
    main()
