"""Food-101 transfer learning with MobileNetV3-Large (class-based trainer)."""
import argparse
import logging
from pathlib import Path

import torch
from torch import nn, optim
from torch.utils.data import DataLoader
from torchvision.datasets import Food101
from torchvision.models import mobilenet_v3_large, MobileNet_V3_Large_Weights

logger = logging.getLogger(__name__)


class Trainer:
    def __init__(self, model, train_loader, val_loader, lr, epochs, ckpt_dir, device):
        self.model = model.to(device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.epochs = epochs
        self.device = device
        self.ckpt_dir = Path(ckpt_dir)
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        self.optimizer = optim.RMSprop(model.parameters(), lr=lr, alpha=0.9, momentum=0.9, eps=0.0316, weight_decay=1e-5)
        self.scheduler = optim.lr_scheduler.StepLR(self.optimizer, step_size=2, gamma=0.973)
        self.best_acc = 0.0

    def train_epoch(self, epoch):
        self.model.train()
        total = 0.0
        for i, (x, y) in enumerate(self.train_loader):
            x, y = x.to(self.device), y.to(self.device)
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(x), y)
            loss.backward()
            self.optimizer.step()
            total += loss.item()
            if i % 200 == 0:
                logger.info("epoch %d [%d/%d] loss=%.4f", epoch, i, len(self.train_loader), loss.item())
        self.scheduler.step()
        return total / len(self.train_loader)

    def validate(self):
        self.model.training = False  # expect: BN102
        correct = seen = 0
        with torch.no_grad():
            for x, y in self.val_loader:
                x, y = x.to(self.device), y.to(self.device)
                logits = self.model(x)  # expect: BN101
                correct += (logits.argmax(dim=1) == y).sum().item()
                seen += y.size(0)
        self.model.training = True
        return correct / seen

    def fit(self):
        for epoch in range(self.epochs):
            loss = self.train_epoch(epoch)
            acc = self.validate()
            logger.info("epoch %d: loss %.4f  val_acc %.4f", epoch, loss, acc)
            if acc > self.best_acc:
                self.best_acc = acc
                torch.save(self.model.state_dict(), self.ckpt_dir / "mnv3_food101_best.pth")


def main():
    logging.basicConfig(level=logging.INFO)
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="./data")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=96)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()

    weights = MobileNet_V3_Large_Weights.IMAGENET1K_V2
    preprocess = weights.transforms()
    train_ds = Food101(args.root, split="train", transform=preprocess, download=True)
    val_ds = Food101(args.root, split="test", transform=preprocess, download=True)

    model = mobilenet_v3_large(weights=weights)
    model.classifier[3] = nn.Linear(model.classifier[3].in_features, 101)

    trainer = Trainer(
        model,
        DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True),
        DataLoader(val_ds, batch_size=256, num_workers=8),
        lr=args.lr,
        epochs=args.epochs,
        ckpt_dir="checkpoints/food101",
        device="cuda" if torch.cuda.is_available() else "cpu",
    )
    trainer.fit()


if __name__ == "__main__":
    main()
