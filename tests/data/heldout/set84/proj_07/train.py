"""Fine-tune layer3/layer4 + head, with the backbone BN statistics frozen.

    python train.py --batch-size 48
"""
import argparse
import os

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from config import CFG
from datasets import build_dataset, build_eval_loader
from models import build_model
from utils import build_optimizer, evaluate


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, required=True)
    ap.add_argument("--epochs", type=int, default=CFG["optim"]["epochs"])
    ap.add_argument("--amp", action="store_true")
    return ap.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(CFG["out_dir"], exist_ok=True)

    train_set = build_dataset(CFG, "train")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=CFG["workers"], pin_memory=True)
    val_loader = build_eval_loader(CFG, "val", batch_size=64)

    model = build_model(CFG).to(device)
    optimizer = build_optimizer(model, CFG["optim"]["lr"], CFG["optim"]["weight_decay"])
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=CFG["optim"]["lr"], total_steps=args.epochs * len(train_loader))
    scaler = torch.cuda.amp.GradScaler(enabled=args.amp)

    best = 0.0
    for epoch in range(args.epochs):
        model.train()        # backbone.train() re-applies frozen_stages / norm_eval
        for step, (x, y) in enumerate(train_loader):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast(device_type=device.type, enabled=args.amp):
                logits = model(x)
                loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            if step % 100 == 0:
                train_acc = (logits.argmax(1) == y).float().mean().item()
                print(f"epoch {epoch} step {step} loss {loss.item():.4f} acc {train_acc:.3f}")

        acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: val acc {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(model.state_dict(), os.path.join(CFG["out_dir"], "best.pth"))


if __name__ == "__main__":
    main()
