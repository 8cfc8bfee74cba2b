"""
Subject-adaptive fine-tuning of EEGNet for motor imagery (BCI IV-2a).

Source model is trained on all other subjects; for the target subject only the
classifier and the last separable conv are updated, with every BatchNorm layer
frozen (affine params and running statistics) at its source-domain values.
"""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
CHANS, SAMPLES, CLASSES = 22, 1000, 4


class EEGNet(nn.Module):
    def __init__(self, F1=8, D=2, F2=16, drop=0.25):
        super().__init__()
        self.block1 = nn.Sequential(
            nn.Conv2d(1, F1, (1, 64), padding=(0, 32), bias=False),
            nn.BatchNorm2d(F1),
            nn.Conv2d(F1, F1 * D, (CHANS, 1), groups=F1, bias=False),
            nn.BatchNorm2d(F1 * D),
            nn.ELU(),
            nn.AvgPool2d((1, 4)),
            nn.Dropout(drop),
        )
        self.block2 = nn.Sequential(
            nn.Conv2d(F1 * D, F1 * D, (1, 16), padding=(0, 8), groups=F1 * D, bias=False),
            nn.Conv2d(F1 * D, F2, 1, bias=False),
            nn.BatchNorm2d(F2),
            nn.ELU(),
            nn.AvgPool2d((1, 8)),
            nn.Dropout(drop),
        )
        self.dense = nn.Sequential(
            nn.Flatten(),
            nn.Linear(F2 * (SAMPLES // 32), 64, bias=False),
            nn.BatchNorm1d(64),
            nn.ELU(),
        )
        self.classifier = nn.Linear(64, CLASSES)

    def forward(self, x):
        return self.classifier(self.dense(self.block2(self.block1(x))))


def freeze_bn(model):
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)


def load(path):
    d = np.load(path)
    x = torch.tensor(d["X"], dtype=torch.float32).unsqueeze(1)
    x = (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-6)
    return x, torch.tensor(d["y"], dtype=torch.long)


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(DEVICE)).argmax(1).cpu() == y).sum().item()
            total += len(y)
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-ckpt", default="eegnet_source_loso_A03.pt")
    ap.add_argument("--calib", default="bci2a/A03T.npz")
    ap.add_argument("--test", default="bci2a/A03E.npz")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=16)
    args = ap.parse_args()

    model = EEGNet().to(DEVICE)
    model.load_state_dict(torch.load(args.source_ckpt, map_location=DEVICE))

    calib_x, calib_y = load(args.calib)
    test_x, test_y = load(args.test)
    calib_loader = DataLoader(TensorDataset(calib_x, calib_y), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(TensorDataset(test_x, test_y), batch_size=144)

    zero_shot = evaluate(model, test_loader)

    for p in model.block1.parameters():
        p.requires_grad_(False)
    freeze_bn(model)
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(trainable, lr=5e-4)

    log = []
    for epoch in range(args.epochs):
        model.train()
        freeze_bn(model)  # train() re-enabled BN; keep source statistics fixed
        for x, y in calib_loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        acc = evaluate(model, test_loader)
        log.append({"epoch": epoch, "loss": loss.item(), "acc": acc})
        print(f"epoch {epoch:2d} loss {loss.item():.3f} acc {acc:.3f}")

    print(f"zero-shot {zero_shot:.3f} -> adapted {log[-1]['acc']:.3f}")
    torch.save(model.state_dict(), "eegnet_A03_adapted.pt")
    with open("adapt_log.json", "w") as f:
        json.dump({"zero_shot": zero_shot, "epochs": log}, f, indent=2)


if __name__ == "__main__":
    main()
