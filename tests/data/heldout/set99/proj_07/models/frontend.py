import torch
import torch.nn as nn
import torchaudio


class LogMel(nn.Module):
    """Waveform (N, samples) -> log-mel spectrogram (N, 1, n_mels, frames)."""

    def __init__(self, sample_rate=16000, n_fft=480, hop_length=160, n_mels=40):
        super().__init__()
        self.melspec = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate, n_fft=n_fft, win_length=n_fft, hop_length=hop_length,
            n_mels=n_mels, f_min=20, f_max=7600)

    def forward(self, wav):
        with torch.autocast('cuda', enabled=False):
            spec = self.melspec(wav.float())
        return torch.log(spec + 1e-6).unsqueeze(1)
