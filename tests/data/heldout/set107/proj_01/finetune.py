"""Smoke-test fine-tune of EdgeNet on synthetic door-camera frames.

Used in CI to check that the training + export pipeline runs end to end
before kicking off the real job on the cluster.
"""
import argparse
import logging

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from edgenet import EdgeNet
from edgenet.utils import count_params, save_checkpoint

NUM_TRAIN = 1025
NUM_VAL = 256
BATCH_SIZE = 64
IMG_SIZE = 96
NUM_CLASSES = 4

logger = logging.getLogger("finetune")


def make_split(n, seed):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, IMG_SIZE, IMG_SIZE, generator=g)
    labels = torch.randint(0, NUM_CLASSES, (n,), generator=g)
    return TensorDataset(images, labels)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--out", default="ckpt/edgenet_smoke.pth")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)

    train_ds = TensorDataset(torch.randn(NUM_TRAIN, 3, IMG_SIZE, IMG_SIZE), torch.randint(0, NUM_CLASSES, (NUM_TRAIN,)))
    val_ds = make_split(NUM_VAL, seed=1)
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
    val_loader = DataLoader(val_ds, batch_size=BATCH_SIZE)

    model = EdgeNet(num_classes=NUM_CLASSES)
    logger.info("EdgeNet with %.2fM parameters", count_params(model) / 1e6)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        model.train()
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()

        model.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in val_loader:
                correct += (model(images).argmax(1) == labels).sum().item()
        logger.info("epoch %d loss %.4f val acc %.3f", epoch, loss.item(), correct / NUM_VAL)

    save_checkpoint(model, optimizer, args.epochs, args.out)


if __name__ == "__main__":
    main()
