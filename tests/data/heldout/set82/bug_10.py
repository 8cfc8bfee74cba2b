"""
Cross-subject motor-imagery decoding on BCI Competition IV-2a with EEGNet.

1. pretrain on 8 source subjects
2. fine-tune on the target subject with BatchNorm statistics frozen
3. report accuracy on the target subject's evaluation session
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
N_CHANNELS = 22
N_SAMPLES = 1000   # 4 s at 250 Hz
N_CLASSES = 4


def load_subject(path_tmpl, subject, session):
    d = np.load(path_tmpl.format(subject=subject, session=session))
    x = d["X"].astype(np.float32)            # (trials, 22, 1000)
    x = (x - x.mean(axis=-1, keepdims=True)) / (x.std(axis=-1, keepdims=True) + 1e-6)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(d["y"].astype(np.int64))


class EEGNet(nn.Module):
    def __init__(self, n_channels=N_CHANNELS, n_samples=N_SAMPLES, n_classes=N_CLASSES,
                 F1=8, D=2, F2=16, dropout=0.25):
        super().__init__()
        self.temporal = nn.Conv2d(1, F1, (1, 64), padding=(0, 32), bias=False)
        self.bn1 = nn.BatchNorm2d(F1)
        self.depthwise = nn.Conv2d(F1, F1 * D, (n_channels, 1), groups=F1, bias=False)
        self.bn2 = nn.BatchNorm2d(F1 * D)
        self.separable = nn.Sequential(
            nn.Conv2d(F1 * D, F1 * D, (1, 16), padding=(0, 8), groups=F1 * D, bias=False),
            nn.Conv2d(F1 * D, F2, 1, bias=False),
        )
        self.bn3 = nn.BatchNorm2d(F2)
        self.drop = nn.Dropout(dropout)
        self.proj = nn.Linear(F2 * (n_samples // 32), 64, bias=False)
        self.proj_bn = nn.BatchNorm2d(64)  # expect: BN202
        self.classifier = nn.Linear(64, n_classes)

    def forward(self, x):
        x = self.bn1(self.temporal(x))
        x = F.elu(self.bn2(self.depthwise(x)))
        x = self.drop(F.avg_pool2d(x, (1, 4)))
        x = F.elu(self.bn3(self.separable(x)))
        x = self.drop(F.avg_pool2d(x, (1, 8)))
        x = F.elu(self.proj_bn(self.proj(x.flatten(1))))
        return self.classifier(x)


def freeze_bn(model):
    """Keep the source-domain normalisation statistics during fine-tuning."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            for p in m.parameters():
                p.requires_grad = False


def fit(model, loader, opt, epochs):
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"  pretrain epoch {epoch}: loss {loss.item():.3f}")


def test(model, loader):
    correct, total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x.to(DEVICE))  # expect: BN101
            correct += (out.argmax(1).cpu() == y).sum().item()
            total += len(y)
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="bci2a/A{subject:02d}{session}.npz")
    ap.add_argument("--target", type=int, default=1)
    ap.add_argument("--pretrain-epochs", type=int, default=100)
    ap.add_argument("--finetune-epochs", type=int, default=30)
    args = ap.parse_args()
    torch.manual_seed(0)

    xs, ys = zip(*[load_subject(args.data, s, "T") for s in range(1, 10) if s != args.target])
    src_loader = DataLoader(TensorDataset(torch.cat(xs), torch.cat(ys)), batch_size=64, shuffle=True)
    tgt_x, tgt_y = load_subject(args.data, args.target, "T")
    ft_loader = DataLoader(TensorDataset(tgt_x, tgt_y), batch_size=32, shuffle=True)
    ev_x, ev_y = load_subject(args.data, args.target, "E")
    eval_loader = DataLoader(TensorDataset(ev_x, ev_y), batch_size=128)

    model = EEGNet().to(DEVICE)
    fit(model, src_loader, torch.optim.Adam(model.parameters(), lr=1e-3), args.pretrain_epochs)

    freeze_bn(model)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    for epoch in range(args.finetune_epochs):
        model.train()  # expect: BN105
        for x, y in ft_loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    acc = test(model, eval_loader)
    print(f"subject A{args.target:02d}: eval-session accuracy {acc:.3f}")
    torch.save(model.state_dict(), f"eegnet_A{args.target:02d}.pt")


if __name__ == "__main__":
    main()
