import argparse
import os
from pathlib import Path

import librosa
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

GENRES = "blues classical country disco hiphop jazz metal pop reggae rock".split()


class GTZANMel(Dataset):
    """GTZAN, 30 s clips cut into 3 s log-mel excerpts (cached as .npy)."""

    def __init__(self, root, split, cache="cache"):
        self.items = []
        for line in open(Path(root) / f"{split}_filtered.txt"):
            rel = line.strip()
            self.items.append((Path(root) / "genres" / rel, GENRES.index(rel.split("/")[0])))
        self.cache = Path(cache)
        self.cache.mkdir(exist_ok=True)

    def __len__(self):
        return len(self.items)

    def _mel(self, path):
        cached = self.cache / (path.stem + ".npy")
        if cached.exists():
            return np.load(cached)
        y, sr = librosa.load(path, sr=22050, duration=30.0)
        mel = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_mels=96))
        np.save(cached, mel)
        return mel

    def __getitem__(self, i):
        path, label = self.items[i]
        mel = self._mel(path)
        start = np.random.randint(0, max(1, mel.shape[1] - 130))
        crop = mel[:, start:start + 130]
        crop = np.pad(crop, ((0, 0), (0, 130 - crop.shape[1])))
        return torch.tensor(crop, dtype=torch.float32).unsqueeze(0), label


class CRNN(nn.Module):
    def __init__(self, n_classes=len(GENRES)):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64, 0.1),  # expect: BN206
            nn.ELU(),
            nn.MaxPool2d((2, 2)),
            nn.Conv2d(64, 128, 3, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ELU(),
            nn.MaxPool2d((4, 2)),
            nn.Conv2d(128, 128, 3, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ELU(),
            nn.MaxPool2d((4, 2)),
        )
        self.gru = nn.GRU(128 * 3, 64, num_layers=2, batch_first=True)
        self.fc = nn.Linear(64, n_classes)

    def forward(self, x):
        x = self.features(x)                   # (N, 128, 3, T')
        n, c, f, t = x.shape
        x = x.permute(0, 3, 1, 2).reshape(n, t, c * f)
        out, _ = self.gru(x)
        return self.fc(out[:, -1])


def get_args():
    p = argparse.ArgumentParser("GTZAN CRNN")
    p.add_argument("--root", default=os.environ.get("GTZAN_ROOT", "data/gtzan"))
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--save", default="runs/crnn_gtzan.pt")
    return p.parse_args()


if __name__ == "__main__":
    args = get_args()
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader = DataLoader(GTZANMel(args.root, "train"), batch_size=args.batch_size, shuffle=True)  # expect: BN301
    valid_loader = DataLoader(GTZANMel(args.root, "valid"), batch_size=32)

    net = CRNN().to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    os.makedirs(os.path.dirname(args.save), exist_ok=True)

    best_acc = 0.0
    net.train()
    for epoch in range(args.epochs):
        bar = tqdm(train_loader, desc=f"epoch {epoch}")
        for mel, genre in bar:
            mel, genre = mel.to(dev), genre.to(dev)
            loss = loss_fn(net(mel), genre)
            opt.zero_grad()
            loss.backward()
            opt.step()
            bar.set_postfix(loss=f"{loss.item():.3f}")

        net.eval()  # expect: BN103
        hits = n = 0
        with torch.no_grad():
            for mel, genre in valid_loader:
                pred = net(mel.to(dev)).argmax(1).cpu()
                hits += (pred == genre).sum().item()
                n += genre.numel()
        acc = hits / n
        print(f"epoch {epoch}: valid acc {acc:.3f}")
        if acc > best_acc:
            best_acc = acc
            torch.save(net.state_dict(), args.save)
