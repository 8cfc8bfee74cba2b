"""DeepConvLSTM for wearable activity recognition (OPPORTUNITY / PAMAP2 windows).

Windows arrive as (batch, time, sensors). The conv front-end needs channels first,
the LSTM wants batch_first (batch, time, features) again.

Fine-tuning mode freezes the conv front-end *including* its BatchNorm statistics.
"""
import argparse
import logging

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

logging.basicConfig(format="%(asctime)s | %(message)s", level=logging.INFO)
LOG = logging.getLogger("deepconvlstm")

NUM_SENSORS = 113
NUM_CLASSES = 18


def freeze_bn_stats(module):
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        module.eval()


class DeepConvLSTM(nn.Module):
    def __init__(self, n_sensors=NUM_SENSORS, n_classes=NUM_CLASSES, n_filters=64, kernel=5, hidden=128):
        super().__init__()
        self.input_norm = nn.BatchNorm1d(n_sensors)
        layers = []
        in_ch = n_sensors
        for _ in range(4):
            layers += [nn.Conv1d(in_ch, n_filters, kernel, bias=False), nn.BatchNorm1d(n_filters), nn.ReLU(inplace=True)]
            in_ch = n_filters
        self.conv = nn.Sequential(*layers)
        self.lstm = nn.LSTM(n_filters, hidden, num_layers=2, batch_first=True, dropout=0.5)
        self.head_bn = nn.BatchNorm1d(hidden)
        self.fc = nn.Linear(hidden, n_classes)

    def forward(self, x):
        # x: (batch, time, sensors)
        x = x.transpose(1, 2)  # (batch, sensors, time)
        x = self.input_norm(x)
        x = self.conv(x)  # (batch, n_filters, time')
        x = x.permute(0, 2, 1)  # (batch, time', n_filters)
        out, _ = self.lstm(x)
        last = out[:, -1, :]  # (batch, hidden)
        return self.fc(self.head_bn(last))


def f1_macro(pred, target, n_classes=NUM_CLASSES):
    f1s = []
    for c in range(n_classes):
        tp = ((pred == c) & (target == c)).sum().item()
        fp = ((pred == c) & (target != c)).sum().item()
        fn = ((pred != c) & (target == c)).sum().item()
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    return float(np.mean(f1s))


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    preds, targets = [], []
    for x, y in loader:
        preds.append(model(x.to(device)).argmax(1).cpu())
        targets.append(y)
    return f1_macro(torch.cat(preds), torch.cat(targets))


def fit(model, train_loader, val_loader, device, epochs, lr, freeze_frontend=False):
    if freeze_frontend:
        for module in (model.input_norm, model.conv):
            for p in module.parameters():
                p.requires_grad = False
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.RMSprop(params, lr=lr, alpha=0.9)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        if freeze_frontend:
            model.input_norm.eval()
            model.conv.apply(freeze_bn_stats)
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
        LOG.info("epoch %d  loss %.4f  val F1 %.4f", epoch, loss.item(), evaluate(model, val_loader, device))


def load_windows(path):
    d = np.load(path)
    return TensorDataset(torch.from_numpy(d["x"].astype(np.float32)), torch.from_numpy(d["y"].astype(np.int64)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="opportunity_train.npz")
    p.add_argument("--val", default="opportunity_val.npz")
    p.add_argument("--finetune-from", default=None)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3)
    args = p.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(load_windows(args.train), batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(load_windows(args.val), batch_size=args.batch_size)

    model = DeepConvLSTM().to(device)
    if args.finetune_from:
        model.load_state_dict(torch.load(args.finetune_from, map_location=device))
        fit(model, train_loader, val_loader, device, args.epochs, args.lr * 0.1, freeze_frontend=True)
    else:
        fit(model, train_loader, val_loader, device, args.epochs, args.lr)
    torch.save(model.state_dict(), "deepconvlstm.pt")


if __name__ == "__main__":
    main()
