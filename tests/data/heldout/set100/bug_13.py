"""Keyword spotting on raw 1 s waveforms (16 kHz) with a 1D conv net.

The validation routine is built once as a closure and called every epoch.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from kws_data import SpeechCommands  # project-local: yields (waveform (1, 16000), label)


class ConvBlock1d(nn.Module):
    def __init__(self, in_ch, out_ch, kernel, stride=1):
        super().__init__()
        self.conv = nn.Conv1d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, bias=False)
        self.bn = nn.BatchNorm1d(out_ch)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class KWSNet(nn.Module):
    def __init__(self, num_classes=35):
        super().__init__()
        self.frontend = ConvBlock1d(1, 32, 80, stride=16)
        self.body = nn.Sequential(
            ConvBlock1d(32, 32, 3), nn.MaxPool1d(4),
            ConvBlock1d(32, 64, 3), nn.MaxPool1d(4),
            ConvBlock1d(64, 128, 3), nn.MaxPool1d(4),
        )
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.body(self.frontend(x))
        return self.fc(x.mean(dim=-1))


def make_evaluator(model, loader, device):
    @torch.no_grad()
    def run():
        correct = total = 0
        for waves, labels in loader:
            logits = model(waves.to(device))  # expect: BN101
            correct += (logits.argmax(dim=-1).cpu() == labels).sum().item()
            total += labels.numel()
        return correct / total

    return run


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(SpeechCommands("data/sc", subset="training"), batch_size=256,
                              shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(SpeechCommands("data/sc", subset="validation"), batch_size=512,
                            num_workers=8)

    model = KWSNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.1)
    validate = make_evaluator(model, val_loader, device)

    best = 0.0
    for epoch in range(50):
        model.train()
        for waves, labels in train_loader:
            waves, labels = waves.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(waves), labels)
            loss.backward()
            optimizer.step()
        scheduler.step()

        acc = validate()
        print(f"epoch {epoch:2d}: val acc {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "kwsnet_best.pt")


if __name__ == "__main__":
    main()
