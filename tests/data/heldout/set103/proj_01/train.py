#!/usr/bin/env python
"""Train a VGG-BN on CIFAR-10.  Usage: python train.py [--arch vgg16_bn]"""
import argparse
import logging

import torch
import torch.nn as nn
from torch.utils.data import DataLoader
import torchvision
import torchvision.transforms as T

from cifar_course import models
from cifar_course.config import CFG
from cifar_course.utils import AverageMeter, accuracy, evaluate, save_checkpoint

logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(message)s")
logger = logging.getLogger(__name__)


def get_loaders(cfg):
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean, std)])
    test_tf = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    train_set = torchvision.datasets.CIFAR10(cfg["data_dir"], train=True, download=True, transform=train_tf)
    test_set = torchvision.datasets.CIFAR10(cfg["data_dir"], train=False, download=True, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=cfg["batch_size"], shuffle=True, num_workers=cfg["num_workers"])  # expect: BN301
    test_loader = DataLoader(test_set, batch_size=cfg["test_batch_size"], shuffle=False, num_workers=cfg["num_workers"])
    return train_loader, test_loader


def train_one_epoch(model, loader, criterion, optimizer, device, epoch):
    model.train()
    losses, top1 = AverageMeter("loss"), AverageMeter("acc@1")
    for i, (images, target) in enumerate(loader):
        images, target = images.to(device), target.to(device)
        output = model(images)
        loss = criterion(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.update(loss.item(), images.size(0))
        top1.update(accuracy(output, target), images.size(0))
        if i % 500 == 0:
            logger.info("epoch %d iter %d  %s  %s", epoch, i, losses, top1)
    return losses.avg, top1.avg


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default=CFG["arch"], choices=["vgg11_bn", "vgg16_bn"])
    parser.add_argument("--epochs", type=int, default=CFG["epochs"])
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader, test_loader = get_loaders(CFG)

    model = getattr(models, args.arch)(num_classes=10).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=CFG["lr"], momentum=CFG["momentum"],
                                weight_decay=CFG["weight_decay"])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    best_acc = 0.0
    for epoch in range(args.epochs):
        train_loss, train_acc = train_one_epoch(model, train_loader, criterion, optimizer, device, epoch)
        val_loss, val_acc = evaluate(model, test_loader, criterion, device)
        scheduler.step()
        logger.info("epoch %d: train %.3f/%.2f%%  test %.3f/%.2f%%", epoch, train_loss, train_acc, val_loss, val_acc)
        is_best = val_acc > best_acc
        best_acc = max(best_acc, val_acc)
        save_checkpoint({"epoch": epoch, "arch": args.arch, "state_dict": model.state_dict(),
                         "best_acc": best_acc}, is_best, CFG["checkpoint_dir"])
    logger.info("best test accuracy: %.2f%%", best_acc)


if __name__ == "__main__":
    main()
