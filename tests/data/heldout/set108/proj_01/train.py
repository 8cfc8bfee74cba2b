"""Train a CIFAR ResNet with gradient accumulation.

    python train.py            # uses config.TRAIN_CFG
"""
import time

import torch
import torch.nn as nn
import torchvision.datasets as datasets
import torchvision.transforms as transforms
from torch.utils.data import DataLoader

from config import DATA_ROOT, EVAL_CFG, OUTPUT_DIR, TRAIN_CFG
from models import build_model
from utils import AverageMeter, ProgressMeter, accuracy, evaluate, save_checkpoint

MEAN = (0.5071, 0.4865, 0.4409)
STD = (0.2673, 0.2564, 0.2762)


def train_one_epoch(model, loader, criterion, optimizer, epoch, device, cfg):
    batch_time = AverageMeter("Time", ":6.3f")
    losses = AverageMeter("Loss", ":.4e")
    top1 = AverageMeter("Acc@1", ":6.2f")
    progress = ProgressMeter(len(loader), [batch_time, losses, top1], prefix=f"Epoch: [{epoch}]")

    model.train()
    optimizer.zero_grad()
    end = time.time()
    for i, (images, target) in enumerate(loader):
        images, target = images.to(device, non_blocking=True), target.to(device, non_blocking=True)
        output = model(images)
        loss = criterion(output, target) / cfg["accum_steps"]
        loss.backward()

        if (i + 1) % cfg["accum_steps"] == 0:
            optimizer.step()
            optimizer.zero_grad()

        acc1, = accuracy(output, target, topk=(1,))
        losses.update(loss.item() * cfg["accum_steps"], images.size(0))
        top1.update(acc1.item(), images.size(0))
        batch_time.update(time.time() - end)
        end = time.time()
        if i % cfg["print_freq"] == 0:
            progress.display(i)


def main():
    cfg = TRAIN_CFG
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True

    train_tf = transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(MEAN, STD),
    ])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])

    train_set = datasets.CIFAR100(DATA_ROOT, train=True, download=True, transform=train_tf)
    val_set = datasets.CIFAR100(DATA_ROOT, train=False, download=True, transform=test_tf)

    train_loader = DataLoader(train_set, batch_size=cfg["batch_size"], shuffle=True, num_workers=cfg["workers"], pin_memory=True)  # expect: BN301
    val_loader = DataLoader(val_set, batch_size=EVAL_CFG["batch_size"], shuffle=False, num_workers=EVAL_CFG["workers"], pin_memory=True)

    model = build_model(cfg["arch"], cfg["num_classes"]).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"],
                                weight_decay=cfg["weight_decay"], nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg["epochs"])

    best_acc1 = 0.0
    for epoch in range(cfg["epochs"]):
        train_one_epoch(model, train_loader, criterion, optimizer, epoch, device, cfg)
        acc1 = evaluate(model, val_loader, criterion, device)
        scheduler.step()

        is_best = acc1 > best_acc1
        best_acc1 = max(acc1, best_acc1)
        save_checkpoint({
            "epoch": epoch + 1,
            "arch": cfg["arch"],
            "state_dict": model.state_dict(),
            "best_acc1": best_acc1,
            "optimizer": optimizer.state_dict(),
        }, is_best, OUTPUT_DIR)


if __name__ == "__main__":
    main()
