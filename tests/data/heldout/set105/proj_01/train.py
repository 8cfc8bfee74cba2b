"""Stanford Cars fine-tuning: head warm-up with a frozen trunk, then full fine-tuning."""
import argparse
import logging
import os

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from finetune.config import TrainConfig
from finetune.engine import evaluate, train_one_epoch
from finetune.models import build_model
from finetune.utils import freeze_backbone, save_checkpoint, unfreeze_backbone


def make_loaders(cfg):
    norm = transforms.Normalize(cfg.mean, cfg.std)
    train_tf = transforms.Compose([transforms.RandomResizedCrop(cfg.img_size, scale=(0.5, 1.0)), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
    val_tf = transforms.Compose([transforms.Resize((cfg.img_size, cfg.img_size)), transforms.ToTensor(), norm])
    train_ds = datasets.ImageFolder(os.path.join(cfg.data_root, "train"), train_tf)
    val_ds = datasets.ImageFolder(os.path.join(cfg.data_root, "test"), val_tf)
    return (
        DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=True, num_workers=8, drop_last=True),
        DataLoader(val_ds, batch_size=cfg.batch_size * 2, shuffle=False, num_workers=8),
    )


def main():
    logging.basicConfig(level=logging.INFO)
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=None)
    args = ap.parse_args()
    cfg = TrainConfig()
    if args.epochs is not None:
        cfg.epochs = args.epochs

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader, val_loader = make_loaders(cfg)
    model = build_model(cfg).to(device)

    # phase 1: train the new head only
    freeze_backbone(model)
    optimizer = torch.optim.SGD(model.head.parameters(), lr=cfg.head_lr, momentum=0.9, weight_decay=cfg.weight_decay)
    for epoch in range(cfg.warmup_epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device)
        acc = evaluate(model, val_loader, device)
        print(f"[warmup {epoch}] loss {loss:.4f} acc {acc:.4f}")

    # phase 2: everything, lower LR on the pretrained trunk
    unfreeze_backbone(model)
    optimizer = torch.optim.SGD([
        {"params": model.backbone.parameters(), "lr": cfg.backbone_lr},
        {"params": model.head.parameters(), "lr": cfg.head_lr},
    ], momentum=0.9, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    for epoch in range(cfg.epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device)
        scheduler.step()
        acc = evaluate(model, val_loader, device)
        print(f"[finetune {epoch}] loss {loss:.4f} acc {acc:.4f}")
        save_checkpoint(model, optimizer, epoch, {"loss": loss, "acc": acc}, cfg.out_dir)


if __name__ == "__main__":
    main()
