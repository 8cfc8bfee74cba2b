"""Batch inference for a music auto-tagging model (MagnaTagATune top-50 tags).

    python clean_09.py --ckpt musicnn_mtat.pt --audio-dir ~/music --out tags.csv
    python clean_09.py --ckpt musicnn_mtat.pt --export-onnx musicnn.onnx
"""
import argparse
import csv
import pathlib

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.utils.data import DataLoader, Dataset

SR = 16000
CHUNK = 3 * SR
TAGS_FILE = "mtat_top50.txt"


class ShortChunkCNN(nn.Module):
    def __init__(self, n_tags=50, width=128, n_mels=128):
        super().__init__()
        self.spec = nn.Sequential(
            torchaudio.transforms.MelSpectrogram(SR, n_fft=512, hop_length=256, n_mels=n_mels),
            torchaudio.transforms.AmplitudeToDB(),
        )
        self.spec_bn = nn.BatchNorm2d(1)
        chans = [1, width, width, 2 * width, 2 * width, 2 * width, 2 * width, 4 * width]
        blocks = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            blocks.append(nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ))
        self.blocks = nn.Sequential(*blocks)
        self.dense = nn.Linear(4 * width, 4 * width, bias=False)
        self.dense_bn = nn.BatchNorm1d(4 * width)
        self.out = nn.Linear(4 * width, n_tags)

    def forward(self, wav):
        x = self.spec_bn(self.spec(wav).unsqueeze(1))
        x = self.blocks(x)
        x = x.flatten(2).amax(dim=2)                  # (N, 4*width)
        x = F.relu(self.dense_bn(self.dense(x)))
        return torch.sigmoid(self.out(F.dropout(x, 0.5, self.training)))


def load_model(ckpt_path, device):
    model = ShortChunkCNN()
    state = torch.load(ckpt_path, map_location="cpu")
    model.load_state_dict(state.get("model", state))
    model.train(False)
    return model.to(device)


class TrackChunks(Dataset):
    """One item per audio file: all of its 3 s chunks stacked."""

    def __init__(self, audio_dir):
        exts = {".mp3", ".wav", ".flac", ".ogg"}
        self.files = sorted(p for p in pathlib.Path(audio_dir).expanduser().rglob("*") if p.suffix.lower() in exts)

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        wav, sr = torchaudio.load(str(self.files[i]))
        wav = torchaudio.functional.resample(wav.mean(0), sr, SR)
        n = max(1, wav.numel() // CHUNK)
        wav = F.pad(wav, (0, max(0, n * CHUNK - wav.numel())))[: n * CHUNK]
        return wav.view(n, CHUNK), str(self.files[i])


def predict_tracks(model, loader, device):
    results = []
    with torch.inference_mode():
        for chunks, path in loader:
            probs = model(chunks[0].to(device)).mean(dim=0)
            results.append((path[0], probs.cpu()))
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--audio-dir")
    ap.add_argument("--out", default="tags.csv")
    ap.add_argument("--top-k", type=int, default=5)
    ap.add_argument("--export-onnx")
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = load_model(args.ckpt, device)

    if args.export_onnx:
        dummy = torch.randn(4, CHUNK, device=device)
        torch.onnx.export(model, dummy, args.export_onnx, input_names=["audio"],
                          output_names=["tag_probs"], dynamic_axes={"audio": {0: "chunks"}})
        print("wrote", args.export_onnx)
        return

    tags = [line.strip() for line in open(TAGS_FILE)]
    loader = DataLoader(TrackChunks(args.audio_dir), batch_size=1, num_workers=2)
    rows = predict_tracks(model, loader, device)
    with open(args.out, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file"] + [f"tag{i + 1}" for i in range(args.top_k)])
        for path, probs in rows:
            top = probs.topk(args.top_k).indices.tolist()
            writer.writerow([path] + [f"{tags[j]}:{probs[j]:.2f}" for j in top])
    print(f"tagged {len(rows)} tracks -> {args.out}")


if __name__ == "__main__":
    main()
