import torch
import torch.nn as nn


def train(loader, epochs=3):
    encoder = nn.Sequential(nn.Conv1d(1, 16, 5), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(16, 8, bias=False),
                            nn.BatchNorm1d(8))
    optimizer = torch.optim.Adam(encoder.parameters())
    encoder.train()
    for _ in range(epochs):
        for wavs, lengths in loader:
            for i in range(wavs.size(0)):
                wav = wavs[:, :, :lengths.max()]
                optimizer.zero_grad()
                encoder(wav).pow(2).mean().backward()
                optimizer.step()
