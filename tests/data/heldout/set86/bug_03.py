"""Keyword spotting on log-mel features with an LSTM encoder.

Features are precomputed by extract_features.py into one .pt file per clip:
{"mel": FloatTensor(n_mels, T), "label": int}.
"""
import argparse
import glob
import os

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset

KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "_silence_", "_unknown_"]


class MelClips(Dataset):
    def __init__(self, folder):
        self.files = sorted(glob.glob(os.path.join(folder, "*.pt")))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        item = torch.load(self.files[i])
        return item["mel"], item["label"]


def collate(batch):
    mels, labels = zip(*batch)
    # pad along time: (N, T_max, n_mels) -> (N, n_mels, T_max)
    mels = pad_sequence([m.t() for m in mels], batch_first=True).transpose(1, 2)
    return mels, torch.tensor(labels)


class SpeechCommandLSTM(nn.Module):
    def __init__(self, n_mels=40, hidden=128, n_layers=2, n_classes=len(KEYWORDS), dropout=0.2):
        super().__init__()
        self.input_norm = nn.BatchNorm1d(n_mels, momentum=0.99)  # expect: BN205
        self.lstm = nn.LSTM(n_mels, hidden, num_layers=n_layers, batch_first=True, dropout=dropout)
        self.seq_norm = nn.BatchNorm1d(hidden)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden, n_classes)

    def forward(self, mel):
        # mel: (N, n_mels, T)
        x = self.input_norm(mel)
        x = x.transpose(1, 2)          # (N, T, n_mels) for the batch_first LSTM
        out, _ = self.lstm(x)          # (N, T, hidden)
        out = self.seq_norm(out)  # expect: BN203
        out = self.dropout(out.mean(dim=1))
        return self.classifier(out)


def run_epoch(model, loader, criterion, optimizer, device):
    model.train()
    seen, loss_sum, correct = 0, 0.0, 0
    for mel, y in loader:
        mel, y = mel.to(device), y.to(device)
        logits = model(mel)
        loss = criterion(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen += y.numel()
        loss_sum += loss.item() * y.numel()
        correct += (logits.argmax(1) == y).sum().item()
    return loss_sum / seen, correct / seen


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    correct = seen = 0
    for mel, y in loader:
        pred = model(mel.to(device)).argmax(1).cpu()
        correct += (pred == y).sum().item()
        seen += y.numel()
    return correct / max(seen, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", default="features/speech_commands")
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--save", default="kws_lstm.pt")
    args = ap.parse_args()

    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    train_set = MelClips(os.path.join(args.features, "train"))
    valid_set = MelClips(os.path.join(args.features, "valid"))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, collate_fn=collate)  # expect: BN301
    valid_loader = DataLoader(valid_set, batch_size=128, shuffle=False, collate_fn=collate)

    model = SpeechCommandLSTM(hidden=args.hidden).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=3, factor=0.5)

    best = 0.0
    for epoch in range(args.epochs):
        tr_loss, tr_acc = run_epoch(model, train_loader, criterion, optimizer, device)
        va_acc = validate(model, valid_loader, device)
        scheduler.step(va_acc)
        print(f"[{epoch + 1}/{args.epochs}] loss {tr_loss:.3f} train_acc {tr_acc:.3f} valid_acc {va_acc:.3f}")
        if va_acc > best:
            best = va_acc
            torch.save(model.state_dict(), args.save)
    print("best valid acc", best)


if __name__ == "__main__":
    main()
