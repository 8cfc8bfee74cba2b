"""Keyword spotting: loss plateaus right after the first evaluation.

Reported in our team's tracker: "training loss drops nicely for the first
500 steps, then after the first eval it barely moves and the final model is
worse than the step-500 checkpoint." Log-mel features (40 x T), 12 classes.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from kws_data import SpeechCommands  # yields (features[40, T], label)


@dataclass
class Config:
    lr: float = 3e-4
    batch_size: int = 64
    max_steps: int = 20_000
    eval_every: int = 500
    n_mels: int = 40
    n_classes: int = 12


class KWSNet(nn.Module):
    def __init__(self, n_mels: int, n_classes: int):
        super().__init__()
        self.conv1 = nn.Conv1d(n_mels, 128, kernel_size=5, padding=2, bias=False)
        self.bn1 = nn.BatchNorm1d(128)
        self.conv2 = nn.Conv1d(128, 128, kernel_size=5, padding=2, bias=False)
        self.bn2 = nn.BatchNorm1d(128)
        self.fc = nn.Linear(128, n_classes)

    def forward(self, x):  # x: (N, n_mels, T)
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.fc(x.mean(dim=-1))


def run_validation(model, loader, device):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for feats, labels in loader:
            logits = model(feats.to(device))
            correct += (logits.argmax(-1) == labels.to(device)).sum().item()
            n += labels.numel()
    return correct / n


def main():
    cfg = Config()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader = DataLoader(SpeechCommands("train"), batch_size=cfg.batch_size, shuffle=True, num_workers=4)
    val_loader = DataLoader(SpeechCommands("validation"), batch_size=256, num_workers=4)

    model = KWSNet(cfg.n_mels, cfg.n_classes).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)

    model.train()
    step = 0
    while step < cfg.max_steps:
        for feats, labels in train_loader:
            feats, labels = feats.to(device), labels.to(device)
            loss = F.cross_entropy(model(feats), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1

            if step % cfg.eval_every == 0:
                acc = run_validation(model, val_loader, device)  # expect: BN103
                print(f"step {step}: loss {loss.item():.4f} val acc {acc:.4f}")
                torch.save(model.state_dict(), f"kws_step{step}.pt")
            if step >= cfg.max_steps:
                break


if __name__ == "__main__":
    main()
