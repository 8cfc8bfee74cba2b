"""Google Speech Commands v2 (35 words) with a labelled / unlabelled split for
semi-supervised training."""
import os
import random

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, Subset
from torchaudio.datasets import SPEECHCOMMANDS

LABELS = ['backward', 'bed', 'bird', 'cat', 'dog', 'down', 'eight', 'five', 'follow', 'forward',
          'four', 'go', 'happy', 'house', 'learn', 'left', 'marvin', 'nine', 'no', 'off', 'on',
          'one', 'right', 'seven', 'sheila', 'six', 'stop', 'three', 'tree', 'two', 'up',
          'visual', 'wow', 'yes', 'zero']
LABEL_TO_IDX = {l: i for i, l in enumerate(LABELS)}


class SpeechCommands(Dataset):
    def __init__(self, root, subset, num_samples=16000, augment=False, noise_dir=None):
        self.ds = SPEECHCOMMANDS(root, download=True, subset=subset)
        self.num_samples = num_samples
        self.augment = augment
        self.noises = []
        if augment and noise_dir and os.path.isdir(noise_dir):
            import torchaudio
            for fn in os.listdir(noise_dir):
                if fn.endswith('.wav'):
                    wav, _ = torchaudio.load(os.path.join(noise_dir, fn))
                    self.noises.append(wav[0])

    def __len__(self):
        return len(self.ds)

    def _fix_length(self, wav):
        if wav.numel() < self.num_samples:
            return F.pad(wav, (0, self.num_samples - wav.numel()))
        return wav[:self.num_samples]

    def __getitem__(self, idx):
        wav, sr, label, *_ = self.ds[idx]
        wav = self._fix_length(wav[0])
        if self.augment:
            shift = random.randint(-1600, 1600)
            wav = torch.roll(wav, shift)
            if shift > 0:
                wav[:shift] = 0
            elif shift < 0:
                wav[shift:] = 0
            if self.noises and random.random() < 0.8:
                noise = random.choice(self.noises)
                start = random.randint(0, noise.numel() - self.num_samples)
                wav = wav + random.uniform(0, 0.1) * noise[start:start + self.num_samples]
        return wav, LABEL_TO_IDX[label]


class TwoViews(Dataset):
    """Returns two independently augmented views (student / teacher inputs)."""

    def __init__(self, base):
        self.base = base

    def __len__(self):
        return len(self.base)

    def __getitem__(self, idx):
        wav1, y = self.base[idx]
        wav2, _ = self.base[idx]
        return wav1, wav2, y


def split_labelled(dataset, labels_per_class, seed=0):
    rng = random.Random(seed)
    by_class = {}
    for i in range(len(dataset.ds)):
        label = dataset.ds.get_metadata(i)[2]
        by_class.setdefault(label, []).append(i)
    labelled, unlabelled = [], []
    for label in sorted(by_class):
        idxs = by_class[label]
        rng.shuffle(idxs)
        labelled += idxs[:labels_per_class]
        unlabelled += idxs[labels_per_class:]
    return Subset(dataset, labelled), Subset(dataset, unlabelled)
