"""
Fine-tune a pretrained log-mel CNN (CNN10, PANNs-style) on a small bird-call
dataset.  The backbone is frozen, only the new classification head is trained.

    python bug_05.py --pretrained cnn10_audioset.pth --csv birds/meta.csv
"""
import argparse
import logging

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.utils.data import DataLoader, Dataset

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
log = logging.getLogger("birds")

SR = 32000
CLIP_SECONDS = 5


class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return F.avg_pool2d(x, 2)


class CNN10(nn.Module):
    def __init__(self):
        super().__init__()
        self.melspec = torchaudio.transforms.MelSpectrogram(SR, n_fft=1024, hop_length=320, n_mels=64)
        self.to_db = torchaudio.transforms.AmplitudeToDB()
        self.bn0 = nn.BatchNorm2d(64)
        self.block1 = ConvBlock(1, 64)
        self.block2 = ConvBlock(64, 128)
        self.block3 = ConvBlock(128, 256)
        self.block4 = ConvBlock(256, 512)

    def forward(self, wav):
        x = self.to_db(self.melspec(wav))          # (N, 64 mels, T)
        x = self.bn0(x.unsqueeze(1).transpose(1, 2)).transpose(1, 2)  # per-mel-bin norm
        for blk in (self.block1, self.block2, self.block3, self.block4):
            x = F.dropout(blk(x), 0.2, self.training)
        x = x.mean(dim=3)
        return x.max(dim=2).values + x.mean(dim=2)  # (N, 512)


class BirdClassifier(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.backbone = CNN10()
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(512, n_classes))

    def forward(self, wav):
        return self.head(self.backbone(wav))


class BirdClips(Dataset):
    def __init__(self, df, labels):
        self.df = df.reset_index(drop=True)
        self.lab = {l: i for i, l in enumerate(labels)}

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        wav, sr = torchaudio.load(row["path"])
        wav = torchaudio.functional.resample(wav.mean(0), sr, SR)
        n = SR * CLIP_SECONDS
        wav = F.pad(wav, (0, max(0, n - wav.numel())))[:n]
        return wav, self.lab[row["species"]]


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for wav, y in loader:
        pred = model(wav.to(device)).argmax(1).cpu()
        correct += (pred == y).sum().item()
        total += len(y)
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default="birds/meta.csv")
    ap.add_argument("--pretrained", default="cnn10_audioset.pth")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--out", default="bird_head.pt")
    args = ap.parse_args()

    df = pd.read_csv(args.csv)
    species = sorted(df["species"].unique())
    train_df, val_df = df[df.fold != 0], df[df.fold == 0]
    train_dl = DataLoader(BirdClips(train_df, species), batch_size=args.bs, shuffle=True, num_workers=4)
    val_dl = DataLoader(BirdClips(val_df, species), batch_size=64, num_workers=4)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = BirdClassifier(len(species))
    state = torch.load(args.pretrained, map_location="cpu")
    missing, unexpected = model.backbone.load_state_dict(state, strict=False)
    log.info("missing=%d unexpected=%d", len(missing), len(unexpected))
    model.backbone.requires_grad_(False)  # expect: BN105
    model.to(device)

    opt = torch.optim.Adam(model.head.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        model.train()
        for wav, y in train_dl:
            wav, y = wav.to(device), y.to(device)
            loss = F.cross_entropy(model(wav), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        acc = evaluate(model, val_dl, device)
        log.info("epoch %d loss %.4f val acc %.3f", epoch, loss.item(), acc)

    model.eval  # expect: BN102
    torch.save({"state_dict": model.state_dict(), "species": species}, args.out)
    log.info("saved %s", args.out)


if __name__ == "__main__":
    main()
