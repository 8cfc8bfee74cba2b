"""Train a 1-D ResNet on WISDM accelerometer windows.

    python train.py --epochs 40
"""
import argparse
import json
import os

import torch
from torch.utils.data import DataLoader

import config
from data import ACTIVITIES, WISDMWindows
from engine import evaluate, train_one_epoch
from models import build_model


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=config.TRAIN["epochs"])
    parser.add_argument("--lr", type=float, default=config.TRAIN["lr"])
    parser.add_argument("--out-dir", default=config.TRAIN["out_dir"])
    return parser.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    d = config.DATA
    train_ds = WISDMWindows(d["root"], "train", d["window"], d["stride"])
    val_ds = WISDMWindows(d["root"], "val", d["window"], d["stride"])
    train_loader = DataLoader(train_ds, batch_size=config.TRAIN["batch_size"], shuffle=True, num_workers=config.TRAIN["num_workers"])  # expect: BN301
    val_loader = DataLoader(val_ds, batch_size=256, num_workers=config.TRAIN["num_workers"])

    model = build_model(config.MODEL["name"], d["channels"], d["num_classes"], widths=config.MODEL["widths"], dropout=config.MODEL["dropout"]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=config.TRAIN["weight_decay"])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    os.makedirs(args.out_dir, exist_ok=True)
    best = 0.0
    for epoch in range(args.epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device)
        macro_acc, confusion = evaluate(model, val_loader, device, d["num_classes"])
        scheduler.step()
        print(f"epoch {epoch:02d} loss {loss:.4f} macro-acc {macro_acc:.4f}")
        if macro_acc > best:
            best = macro_acc
            torch.save(model.state_dict(), os.path.join(args.out_dir, "best.pt"))
            with open(os.path.join(args.out_dir, "confusion.json"), "w") as fh:
                json.dump({"classes": ACTIVITIES, "matrix": confusion.tolist()}, fh)


if __name__ == "__main__":
    main()
