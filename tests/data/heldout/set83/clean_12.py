"""Score LIDC-IDRI nodule crops with the trained 3-D malignancy classifier.

Reads a CSV of candidate nodules (seriesuid, coordZ/Y/X in voxels, optional label),
crops 48^3 cubes around each one, averages the prediction over 8 flips and writes a CSV.
"""
import argparse
import csv
import os
from itertools import product

import numpy as np
import torch
import torch.nn as nn
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, Dataset

CUBE = 48


class NoduleCrops(Dataset):
    def __init__(self, rows, volume_dir):
        self.rows, self.volume_dir = rows, volume_dir
        self._cache = {}

    def __len__(self):
        return len(self.rows)

    def _volume(self, uid):
        if uid not in self._cache:
            self._cache = {uid: np.load(os.path.join(self.volume_dir, f"{uid}.npy"), mmap_mode="r")}
        return self._cache[uid]

    def __getitem__(self, i):
        r = self.rows[i]
        vol = self._volume(r["seriesuid"])
        c = [int(float(r[k])) for k in ("coordZ", "coordY", "coordX")]
        h = CUBE // 2
        pad = np.full((CUBE, CUBE, CUBE), -1000, dtype=np.float32)
        lo = [max(ci - h, 0) for ci in c]
        hi = [min(ci + h, s) for ci, s in zip(c, vol.shape)]
        crop = np.asarray(vol[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]], dtype=np.float32)
        off = [l - (ci - h) for l, ci in zip(lo, c)]
        pad[off[0]:off[0] + crop.shape[0], off[1]:off[1] + crop.shape[1], off[2]:off[2] + crop.shape[2]] = crop
        x = np.clip((pad + 1000) / 1400, 0, 1)
        return torch.from_numpy(x[None]), i


class MalignancyNet(nn.Module):
    def __init__(self, width=32):
        super().__init__()

        def stage(cin, cout):
            return nn.Sequential(
                nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True),
                nn.Conv3d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True),
                nn.MaxPool3d(2),
            )

        self.features = nn.Sequential(stage(1, width), stage(width, 2 * width), stage(2 * width, 4 * width),
                                      stage(4 * width, 8 * width))
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Sequential(
            nn.Linear(8 * width, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(128, 1),
        )

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1)).squeeze(1)


def build_and_load(ckpt, device):
    """Rebuild the network from the checkpoint's hyper-parameters, ready for inference."""
    blob = torch.load(ckpt, map_location="cpu")
    net = MalignancyNet(width=blob.get("width", 32))
    net.load_state_dict(blob["state_dict"])
    net.to(device)
    net.eval()
    return net


def flip_average(net, x):
    preds = []
    for flips in product([False, True], repeat=3):
        dims = [d + 2 for d, f in enumerate(flips) if f]
        preds.append(torch.sigmoid(net(x.flip(dims) if dims else x)))
    return torch.stack(preds).mean(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", default="data/lidc/candidates_test.csv")
    ap.add_argument("--volumes", default="data/lidc/volumes_1mm")
    ap.add_argument("--ckpt", default="checkpoints/malignancy3d.pt")
    ap.add_argument("--out", default="malignancy_scores.csv")
    args = ap.parse_args()

    with open(args.candidates) as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: r["seriesuid"])  # keeps the one-volume cache effective
    loader = DataLoader(NoduleCrops(rows, args.volumes), batch_size=1, shuffle=False, num_workers=0)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = build_and_load(args.ckpt, device)

    scores = np.zeros(len(rows), dtype=np.float32)
    with torch.no_grad():
        for x, idx in loader:
            scores[idx.numpy()] = flip_average(model, x.to(device)).cpu().numpy()

    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["seriesuid", "coordZ", "coordY", "coordX", "probability"])
        for r, s in zip(rows, scores):
            w.writerow([r["seriesuid"], r["coordZ"], r["coordY"], r["coordX"], f"{s:.5f}"])

    if rows and "label" in rows[0]:
        y = np.array([int(r["label"]) for r in rows])
        print(f"AUC = {roc_auc_score(y, scores):.4f} on {len(rows)} nodules")


if __name__ == "__main__":
    main()
