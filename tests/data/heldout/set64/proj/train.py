"""Train LeafNet.

    python train.py --data ./plantvillage --variant small --epochs 40
"""
import argparse

import torch
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader

from engine import ModelEma, evaluate, load_checkpoint, save_checkpoint, train_one_epoch
from models import build_model

MEAN, STD = [0.466, 0.489, 0.410], [0.178, 0.152, 0.194]


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="./plantvillage")
    p.add_argument("--variant", default="small", choices=["tiny", "small"])
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--resume", default="")
    p.add_argument("--ckpt", default="checkpoints/leafnet.pth")
    return p.parse_args()


def main():
    args = get_args()
    device = torch.device("cuda")
    train_tf = T.Compose([T.RandomResizedCrop(224, scale=(0.5, 1.0)), T.RandomHorizontalFlip(),
                          T.RandomVerticalFlip(), T.ColorJitter(0.3, 0.3, 0.3), T.ToTensor(), T.Normalize(MEAN, STD)])
    val_tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
    train_set = torchvision.datasets.ImageFolder(f"{args.data}/train", train_tf)
    val_set = torchvision.datasets.ImageFolder(f"{args.data}/val", val_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=8,
                              pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=128, num_workers=8)

    model = build_model(args.variant, num_classes=len(train_set.classes)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    start_epoch, best_acc = 0, 0.0
    if args.resume:
        start_epoch, best_acc = load_checkpoint(args.resume, model, use_ema=False, optimizer=optimizer)
        start_epoch += 1
    ema = ModelEma(model, decay=0.9995)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs, last_epoch=start_epoch - 1)
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(start_epoch, args.epochs):
        loss = train_one_epoch(model, train_loader, optimizer, scaler, device, ema=ema)
        scheduler.step()
        acc = evaluate(model, val_loader, device)
        ema_acc = evaluate(ema.module, val_loader, device)
        print(f"epoch {epoch:02d} loss {loss:.4f} acc {acc:.4f} ema {ema_acc:.4f}")
        if max(acc, ema_acc) > best_acc:
            best_acc = max(acc, ema_acc)
            save_checkpoint(args.ckpt, model, ema, optimizer, epoch, best_acc)


if __name__ == "__main__":
    main()
