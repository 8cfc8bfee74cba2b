"""Keyword-spotting CNN on log-mel spectrograms of shape (N, 1, 40, 101)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_MELS = 40
N_KEYWORDS = 12


class KWSNet(nn.Module):
    def __init__(self, n_classes=N_KEYWORDS, width=64):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, kernel_size=(3, 3), padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, width, kernel_size=(3, 3), padding=1, bias=False),
            nn.BatchNorm1d(width),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, kernel_size=(3, 3), padding=1, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((1, 1)),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(2 * width, 128, bias=False),
            nn.BatchNorm2d(128),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(128, n_classes),
        )

    def forward(self, spec):
        return self.classifier(self.features(spec))


def spec_augment(spec, max_f=8, max_t=20):
    spec = spec.clone()
    n, _, f, t = spec.shape
    for i in range(n):
        f0 = torch.randint(0, f - max_f, (1,)).item()
        t0 = torch.randint(0, t - max_t, (1,)).item()
        spec[i, :, f0:f0 + torch.randint(0, max_f, (1,)).item(), :] = 0
        spec[i, :, :, t0:t0 + torch.randint(0, max_t, (1,)).item()] = 0
    return spec


def train_epoch(model, loader, optimizer, scheduler, device):
    model.train()
    running = 0.0
    for spec, label in loader:
        spec = spec_augment(spec.to(device))
        label = label.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(spec), label, label_smoothing=0.1)
        loss.backward()
        optimizer.step()
        scheduler.step()
        running += loss.item() * spec.size(0)
    return running / len(loader.dataset)
