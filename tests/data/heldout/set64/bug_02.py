"""Wafer-map defect classification: train a classifier head on top of a pretrained encoder.

The encoder was pre-trained with SimSiam on unlabeled fab wafer maps. Labelled
fab data is scarce, so the head is trained on procedurally rendered defect
patterns and validated on the real labelled maps.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_TRAIN = 5121
NUM_CLASSES = 9
MAP_SIZE = 64


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.proj = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.proj(x))


class Encoder(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        blocks, in_ch = [], widths[0]
        for w in widths:
            blocks.append(ResBlock(in_ch, w, stride=2))
            in_ch = w
        self.blocks = nn.Sequential(*blocks)
        self.out_dim = widths[-1]

    def forward(self, x):
        return F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1).flatten(1)


class WaferClassifier(nn.Module):
    def __init__(self, encoder, num_classes=NUM_CLASSES):
        super().__init__()
        self.backbone = encoder
        self.head = nn.Sequential(nn.Linear(encoder.out_dim, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, num_classes))

    def forward(self, x):
        return self.head(self.backbone(x))


def render_wafer_maps(labels, size, generator):
    """Render one synthetic wafer map per label: 0 none, 1 center, 2 donut, 3 edge-ring,
    4 edge-loc, 5 loc, 6 near-full, 7 random, 8 scratch."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    r = (xx ** 2 + yy ** 2).sqrt()
    wafer = (r <= 1.0).float()
    maps = torch.zeros(len(labels), 1, size, size)
    for i, c in enumerate(labels.tolist()):
        noise = torch.rand(size, size, generator=generator)
        cx, cy = (torch.rand(2, generator=generator) * 1.2 - 0.6).tolist()
        local = ((xx - cx) ** 2 + (yy - cy) ** 2).sqrt() < 0.25
        pattern = {
            0: torch.zeros_like(r, dtype=torch.bool),
            1: r < 0.3,
            2: (r > 0.4) & (r < 0.65),
            3: r > 0.85,
            4: (r > 0.8) & (xx > 0.3),
            5: local,
            6: r < 0.95,
            7: noise > 0.8,
            8: ((yy - 0.6 * xx - cy).abs() < 0.03) & (r < 0.9),
        }[c]
        defects = (pattern | (noise > 0.97)).float()
        maps[i, 0] = wafer * (1.0 + defects) / 2.0
    return maps


def load_real_val(path):
    maps, labels = torch.load(path)
    return TensorDataset(maps.float().unsqueeze(1) / 2.0, labels)


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    confusion = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.long)
    for x, y in loader:
        pred = model(x.to(device)).argmax(1).cpu()
        for t, p in zip(y, pred):
            confusion[t, p] += 1
    per_class = confusion.diag().float() / confusion.sum(1).clamp(min=1).float()
    return confusion.diag().sum().item() / confusion.sum().item(), per_class.mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--val-cache", default="./cache/wm811k_val_labeled.pt")
    parser.add_argument("--encoder", default="./checkpoints/simsiam_encoder.pt")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    encoder = Encoder()
    encoder.load_state_dict(torch.load(args.encoder, map_location="cpu"))
    model = WaferClassifier(encoder).to(device)
    model.backbone.requires_grad_(False)  # expect: BN105

    g = torch.Generator().manual_seed(0)
    train_labels = torch.randint(0, NUM_CLASSES, (N_TRAIN,), generator=g)
    train_set = TensorDataset(render_wafer_maps(train_labels, MAP_SIZE, g), train_labels)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=2)  # expect: BN302
    val_loader = DataLoader(load_real_val(args.val_cache), batch_size=256)

    optimizer = torch.optim.Adam(model.head.parameters(), lr=args.lr)
    class_counts = torch.bincount(train_set.tensors[1], minlength=NUM_CLASSES).float()
    weights = (class_counts.sum() / class_counts.clamp(min=1)).to(device)
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y, weight=weights / weights.mean())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        acc, bal_acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch:02d} loss {loss.item():.4f} acc {acc:.4f} balanced {bal_acc:.4f}")
    torch.save(model.state_dict(), "wafer_head.pt")


if __name__ == "__main__":
    main()
