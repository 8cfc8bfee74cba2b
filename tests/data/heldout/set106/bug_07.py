"""Human activity recognition on UCI-HAR inertial signals.

Stage 1 pre-trains the CNN on all subjects; stage 2 fine-tunes only the classifier
on a held-out subject (personalisation), keeping the feature extractor frozen.

    python bug_07.py --data-dir UCI_HAR --pretrained har_cnn.pt --subject 9
"""
import argparse
import logging

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger(__name__)

WINDOW = 128  # 2.56 s at 50 Hz
N_CHANNELS = 9  # body_acc xyz, body_gyro xyz, total_acc xyz
N_CLASSES = 6


def load_subject(data_dir, subject):
    """Windows are stored flattened: one row of WINDOW * N_CHANNELS floats."""
    x = np.load(f"{data_dir}/subject_{subject:02d}_X.npy").astype(np.float32)
    y = np.load(f"{data_dir}/subject_{subject:02d}_y.npy").astype(np.int64) - 1
    return torch.from_numpy(x), torch.from_numpy(y)


class HARConvNet(nn.Module):
    def __init__(self, n_channels=N_CHANNELS, n_classes=N_CLASSES):
        super().__init__()
        self.input_bn = nn.BatchNorm1d(n_channels)
        self.features = nn.Sequential(
            nn.Conv1d(n_channels, 64, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool1d(2),
            nn.Conv1d(64, 128, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.MaxPool1d(2),
            nn.Conv1d(128, 128, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool1d(1),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(128, n_classes))

    def forward(self, x):
        x = x.view(-1, WINDOW, N_CHANNELS)  # (N, time, channels)
        x = self.input_bn(x)  # expect: BN203
        x = x.transpose(1, 2)  # (N, channels, time) for the convolutions
        x = self.features(x)
        return self.classifier(x)


@torch.no_grad()
def accuracy(model, loader, device):
    model.eval()
    hits = n = 0
    for x, y in loader:
        pred = model(x.to(device)).argmax(1).cpu()
        hits += (pred == y).sum().item()
        n += y.numel()
    return hits / n


def finetune(model, train_loader, test_loader, device, epochs=15, lr=1e-3):
    # personalisation: only the classifier adapts to the new user
    for p in model.features.parameters():
        p.requires_grad = False  # expect: BN105
    opt = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=lr)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        acc = accuracy(model, test_loader, device)
        log.info("finetune epoch %d loss %.4f acc %.3f", epoch, total / len(train_loader), acc)
    return model


def main():
    logging.basicConfig(level=logging.INFO)
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default="UCI_HAR")
    parser.add_argument("--pretrained", default="har_cnn.pt")
    parser.add_argument("--subject", type=int, default=9)
    parser.add_argument("--calib-frac", type=float, default=0.3)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x, y = load_subject(args.data_dir, args.subject)
    perm = torch.randperm(len(x))
    n_cal = int(args.calib_frac * len(x))
    cal_idx, test_idx = perm[:n_cal], perm[n_cal:]
    train_loader = DataLoader(TensorDataset(x[cal_idx], y[cal_idx]), batch_size=32, shuffle=True, drop_last=True)
    test_loader = DataLoader(TensorDataset(x[test_idx], y[test_idx]), batch_size=256)

    model = HARConvNet().to(device)
    model.load_state_dict(torch.load(args.pretrained, map_location=device))
    log.info("before personalisation: %.3f", accuracy(model, test_loader, device))
    finetune(model, train_loader, test_loader, device)
    torch.save(model.state_dict(), f"har_cnn_subject{args.subject:02d}.pt")


if __name__ == "__main__":
    main()
