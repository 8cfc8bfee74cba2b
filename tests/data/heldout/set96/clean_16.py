"""Batch-size-1 scoring of a folder of scans plus a short calibration pass.

Names are deliberately plain (`score_folder`, `calibrate`), but every call that
is not training runs after `model.eval()`.
"""
import argparse
import glob

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class ScanDataset(Dataset):
    def __init__(self, pattern):
        self.paths = sorted(glob.glob(pattern))

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        item = torch.load(self.paths[i])
        return item["volume"], item.get("label", -1)


class ScanNet(nn.Module):
    def __init__(self, num_classes=2):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv3d(1, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm3d(16), nn.ReLU(inplace=True),
            nn.Conv3d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm3d(32), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool3d(1), nn.Flatten(),
        )
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.fc(self.features(x))


def calibrate(model, loader):
    """Fit a temperature on held-out logits (the network itself is not trained)."""
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x) for x, _ in loader])
        labels = torch.cat([torch.as_tensor(y) for _, y in loader])
    temperature = torch.ones(1, requires_grad=True)
    opt = torch.optim.LBFGS([temperature], lr=0.01, max_iter=50)

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(logits / temperature, labels)
        loss.backward()
        return loss

    opt.step(closure)
    return temperature.item()


def score_folder(model, pattern, temperature):
    model.eval()
    loader = DataLoader(ScanDataset(pattern), batch_size=1, shuffle=False, num_workers=2)
    results = []
    with torch.no_grad():
        for volume, _ in loader:
            prob = F.softmax(model(volume) / temperature, dim=1)[0, 1].item()
            results.append(prob)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ckpt")
    parser.add_argument("--calib", default="data/calib/*.pt")
    parser.add_argument("--scans", default="data/incoming/*.pt")
    args = parser.parse_args()
    model = ScanNet()
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    calib_loader = DataLoader(ScanDataset(args.calib), batch_size=1)
    t = calibrate(model, calib_loader)
    for path, p in zip(sorted(glob.glob(args.scans)), score_folder(model, args.scans, t)):
        print(f"{path}\t{p:.4f}")


if __name__ == "__main__":
    main()
