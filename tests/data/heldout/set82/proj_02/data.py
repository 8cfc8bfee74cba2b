import os

import torch
import torch.nn.functional as F
import torchaudio
from torch.utils.data import Dataset


class RespiratoryCycles(Dataset):
    """One item per annotated breathing cycle (start, end, crackle, wheeze)."""

    def __init__(self, cfg, split):
        self.cfg = cfg
        wanted = {line.split()[0] for line in open(cfg.split_file) if line.split()[1] == split}
        self.cycles = []
        for rec in sorted(wanted):
            for line in open(os.path.join(cfg.data_root, rec + ".txt")):
                start, end, crackle, wheeze = line.split()
                label = int(crackle) + 2 * int(wheeze)
                self.cycles.append((rec, float(start), float(end), label))
        self.mel = torchaudio.transforms.MelSpectrogram(cfg.sample_rate, n_fft=256, hop_length=64, n_mels=cfg.n_mels)

    def __len__(self):
        return len(self.cycles)

    def __getitem__(self, i):
        rec, start, end, label = self.cycles[i]
        wav, sr = torchaudio.load(os.path.join(self.cfg.data_root, rec + ".wav"))
        wav = torchaudio.functional.resample(wav.mean(0), sr, self.cfg.sample_rate)
        seg = wav[int(start * self.cfg.sample_rate): int(end * self.cfg.sample_rate)]
        n = int(self.cfg.cycle_seconds * self.cfg.sample_rate)
        seg = seg.repeat(n // max(seg.numel(), 1) + 1)[:n] if seg.numel() < n else seg[:n]
        return torch.log(self.mel(seg) + 1e-6).unsqueeze(0), label


def pad_collate(batch):
    x = torch.stack([b[0] for b in batch])
    return F.layer_norm(x, x.shape[-2:]), torch.tensor([b[1] for b in batch])
