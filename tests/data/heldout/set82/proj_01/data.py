import json
import random

import torch
import torch.nn.functional as F
import torchaudio
from torch.utils.data import Dataset


class WakeWordClips(Dataset):
    """Manifest lines: {"path": "...wav", "label": 0|1}"""

    def __init__(self, manifest, sample_rate, clip_seconds, augment=False):
        with open(manifest) as fh:
            self.items = [json.loads(line) for line in fh if line.strip()]
        self.sr = sample_rate
        self.n = int(sample_rate * clip_seconds)
        self.augment = augment
        self.mel = torchaudio.transforms.MelSpectrogram(sample_rate, n_fft=400, hop_length=160, n_mels=40)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        item = self.items[idx]
        wav, sr = torchaudio.load(item["path"])
        if sr != self.sr:
            wav = torchaudio.functional.resample(wav, sr, self.sr)
        wav = wav.mean(0)
        if self.augment:
            shift = random.randint(-1600, 1600)
            wav = torch.roll(wav, shift)
            wav = wav * random.uniform(0.5, 1.5)
        wav = F.pad(wav, (0, max(0, self.n - wav.numel())))[: self.n]
        feats = torch.log(self.mel(wav) + 1e-6)
        return feats.unsqueeze(0), torch.tensor(item["label"], dtype=torch.float32)
