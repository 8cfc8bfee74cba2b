# ECG beat classifier (MIT-BIH style windows, 1 lead, 360 Hz).
# Conv1d stack -> BatchNorm1d on (N, C, L) feature maps.
import argparse

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def conv_bn(cin, cout, k, stride=1):
    return nn.Sequential(
        nn.Conv1d(cin, cout, k, stride=stride, padding=k // 2, bias=False),
        nn.BatchNorm1d(cout),
        nn.ReLU(),
    )


class ECGNet(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(1, 32, 7, stride=2),
            conv_bn(32, 32, 5),
            nn.MaxPool1d(2),
            conv_bn(32, 64, 5),
            conv_bn(64, 64, 3),
            nn.MaxPool1d(2),
            conv_bn(64, 128, 3),
        )
        self.pool = nn.AdaptiveMaxPool1d(1)
        self.fc = nn.Linear(128, n_classes)

    def forward(self, x):            # x: (N, 1, 360)
        h = self.body(x)             # (N, 128, L')
        h = self.pool(h).squeeze(-1)
        return self.fc(h)


def load_split(path):
    blob = np.load(path)
    x = torch.from_numpy(blob["x"]).float().unsqueeze(1)
    y = torch.from_numpy(blob["y"]).long()
    return TensorDataset(x, y)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="mitbih_train.npz")
    p.add_argument("--val", default="mitbih_val.npz")
    p.add_argument("--bs", type=int, default=256)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--lr", type=float, default=3e-3)
    args = p.parse_args()

    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tr = DataLoader(load_split(args.train), batch_size=args.bs, shuffle=True, drop_last=True)
    va = DataLoader(load_split(args.val), batch_size=1024)

    model = ECGNet().to(dev)
    class_w = torch.tensor([0.3, 3.0, 1.5, 6.0, 1.0], device=dev)
    crit = nn.CrossEntropyLoss(weight=class_w)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)

    best = 0.0
    for ep in range(args.epochs):
        model.train(True)
        for xb, yb in tr:
            xb, yb = xb.to(dev), yb.to(dev)
            opt.zero_grad()
            crit(model(xb), yb).backward()
            opt.step()

        model.train(False)
        conf = torch.zeros(5, 5, dtype=torch.long)
        with torch.inference_mode():
            for xb, yb in va:
                pred = model(xb.to(dev)).argmax(1).cpu()
                for t, q in zip(yb, pred):
                    conf[t, q] += 1
        recall = conf.diag().float() / conf.sum(1).clamp(min=1).float()
        macro = recall.mean().item()
        print(f"[{ep:02d}] macro recall {macro:.4f}  per-class {recall.numpy().round(3)}")
        if macro > best:
            best = macro
            torch.save(model.state_dict(), "ecgnet_best.pt")


if __name__ == "__main__":
    main()
