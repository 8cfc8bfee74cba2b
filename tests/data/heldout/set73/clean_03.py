"""Offline activity recognition over accelerometer recordings.

Streams window-level predictions through a generator, smooths them per
recording, and optionally exports the network with torch.export.
"""
import argparse
import json
from collections import defaultdict
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

ACTIVITIES = ["walk", "upstairs", "downstairs", "sit", "stand", "lie"]


class HARNet(nn.Module):
    def __init__(self, channels=3, num_classes=len(ACTIVITIES)):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(channels, 64, 7, padding=3, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(inplace=True),
            nn.Conv1d(64, 128, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.Conv1d(128, 128, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.net(x)


class Windows(Dataset):
    """Cuts each recording [3, T] into overlapping windows of 128 samples."""

    def __init__(self, root, size=128, hop=64):
        self.items = []
        for path in sorted(Path(root).glob("*.pt")):
            signal = torch.load(path)
            for start in range(0, signal.shape[-1] - size + 1, hop):
                self.items.append((path.stem, start, signal[:, start:start + size]))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        rec, start, window = self.items[i]
        return rec, start, window


def stream_predictions(model, loader, device):
    model.train(False)
    with torch.inference_mode():
        for recs, starts, windows in loader:
            probs = model(windows.to(device)).softmax(-1).cpu()
            for rec, start, prob in zip(recs, starts.tolist(), probs):
                yield rec, start, prob


def smooth(track, k=5):
    track.sort(key=lambda item: item[0])
    probs = torch.stack([p for _, p in track])
    kernel = torch.ones(1, 1, k) / k
    padded = nn.functional.pad(probs.T.unsqueeze(1), (k // 2, k // 2), mode="replicate")
    smoothed = nn.functional.conv1d(padded, kernel).squeeze(1).T
    return [(start, ACTIVITIES[int(i)]) for (start, _), i in zip(track, smoothed.argmax(-1))]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("recordings", type=Path)
    p.add_argument("--weights", type=Path, default=Path("weights/harnet.pt"))
    p.add_argument("--out", type=Path, default=Path("activities.json"))
    p.add_argument("--export", type=Path, default=None)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = HARNet()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.to(device)

    loader = DataLoader(Windows(args.recordings), batch_size=256, num_workers=2)
    tracks = defaultdict(list)
    for rec, start, prob in stream_predictions(model, loader, device):
        tracks[rec].append((start, prob))

    result = {rec: smooth(track) for rec, track in tracks.items()}
    args.out.write_text(json.dumps(result, indent=1))
    print(f"labelled {len(result)} recordings -> {args.out}")

    if args.export is not None:
        model.train(mode=False)
        example = (torch.randn(4, 3, 128, device=device),)
        exported = torch.export.export(model, example)
        torch.export.save(exported, str(args.export))
        print(f"exported program to {args.export}")


if __name__ == "__main__":
    main()
