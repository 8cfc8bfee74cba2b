"""Keyword spotting on Speech Commands: conv front-end + BiGRU + statistics pooling."""
import argparse
import csv
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.utils.data import DataLoader, Dataset


class LogMel(nn.Module):
    def __init__(self, sample_rate=16000, n_mels=40):
        super().__init__()
        self.mel = torchaudio.transforms.MelSpectrogram(sample_rate, n_fft=480, hop_length=160, n_mels=n_mels)
        self.freq_mask = torchaudio.transforms.FrequencyMasking(8)
        self.time_mask = torchaudio.transforms.TimeMasking(20)

    def forward(self, wav):
        spec = (self.mel(wav) + 1e-6).log()          # (N, n_mels, T)
        if self.training:
            spec = self.time_mask(self.freq_mask(spec))
        return spec


class KWSNet(nn.Module):
    def __init__(self, n_mels=40, channels=128, hidden=96, emb_dim=128, num_classes=35):
        super().__init__()
        self.features = LogMel(n_mels=n_mels)
        self.input_norm = nn.BatchNorm1d(n_mels)
        self.conv = nn.Sequential(
            nn.Conv1d(n_mels, channels, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm1d(channels),
            nn.ReLU(inplace=True),
            nn.Conv1d(channels, channels, kernel_size=3, padding=1, stride=2, bias=False),
            nn.BatchNorm1d(channels),
            nn.ReLU(inplace=True),
        )
        self.rnn = nn.GRU(channels, hidden, batch_first=True, bidirectional=True)
        self.rnn_norm = nn.BatchNorm1d(2 * hidden)
        self.embedding = nn.Sequential(nn.Linear(4 * hidden, emb_dim, bias=False), nn.BatchNorm1d(emb_dim),
                                       nn.ReLU(inplace=True))
        self.classifier = nn.Linear(emb_dim, num_classes)

    def forward(self, wav):
        x = self.input_norm(self.features(wav))      # (N, n_mels, T)
        x = self.conv(x)                             # (N, C, T')
        x, _ = self.rnn(x.transpose(1, 2))           # (N, T', 2H)
        x = self.rnn_norm(x.transpose(1, 2))         # (N, 2H, T')
        stats = torch.cat([x.mean(dim=2), x.std(dim=2)], dim=1)
        return self.classifier(self.embedding(stats))


class SpeechCommands(Dataset):
    def __init__(self, root: Path, manifest: str, labels: list[str], clip_len=16000):
        with open(root / manifest) as f:
            self.items = [(root / row["path"], labels.index(row["label"])) for row in csv.DictReader(f)]
        self.clip_len = clip_len

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        path, label = self.items[idx]
        wav, _ = torchaudio.load(str(path))
        wav = wav[0, : self.clip_len]
        return F.pad(wav, (0, self.clip_len - wav.numel())), label


def train_one_epoch(model, loader, optimizer, scheduler, device):
    model.train()
    total, correct, running = 0, 0, 0.0
    for wav, label in loader:
        wav, label = wav.to(device), label.to(device)
        logits = model(wav)
        loss = F.cross_entropy(logits, label, label_smoothing=0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        running += loss.item() * label.size(0)
        correct += (logits.argmax(1) == label).sum().item()
        total += label.size(0)
    return running / total, correct / total


@torch.inference_mode()
def evaluate(model, loader, device):
    model.eval()
    correct, total = 0, 0
    for wav, label in loader:
        pred = model(wav.to(device)).argmax(1).cpu()
        correct += (pred == label).sum().item()
        total += label.numel()
    return correct / total


@torch.inference_mode()
def infer_file(model, path: Path, labels: list[str], device) -> str:
    model.eval()
    wav, _ = torchaudio.load(str(path))
    wav = F.pad(wav[0, :16000], (0, max(0, 16000 - wav.shape[1])))
    probs = model(wav.unsqueeze(0).to(device)).softmax(-1)[0]
    return labels[int(probs.argmax())]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--ckpt", type=Path, default=Path("kws.pt"))
    parser.add_argument("--predict", type=Path, nargs="*", default=[])
    args = parser.parse_args()

    labels = (args.root / "labels.txt").read_text().split()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = KWSNet(num_classes=len(labels)).to(device)

    if args.predict:
        model.load_state_dict(torch.load(args.ckpt, map_location=device))
        for path in args.predict:
            print(path, infer_file(model, path, labels, device))
        return

    train_ds = SpeechCommands(args.root, "train.csv", labels)
    val_ds = SpeechCommands(args.root, "valid.csv", labels)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256, num_workers=8)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3,
                                                    total_steps=args.epochs * len(train_loader))
    best = 0.0
    for epoch in range(args.epochs):
        loss, train_acc = train_one_epoch(model, train_loader, optimizer, scheduler, device)
        val_acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch:02d} loss {loss:.4f} train {train_acc:.3f} val {val_acc:.3f}")
        if val_acc > best:
            best = val_acc
            torch.save(model.state_dict(), args.ckpt)


if __name__ == "__main__":
    main()
