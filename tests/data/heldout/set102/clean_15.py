# A (to "my validation loss is lower than training loss, is that a bug?"):
# "No -- your code is fine. run_epoch() switches the mode with model.train(is_train)
# and grad with torch.set_grad_enabled(is_train), so validation runs in eval mode.
# Training loss is averaged over the epoch while the weights are still improving and
# with dropout on; validation is measured at the end of the epoch without dropout.
# Lower val loss is expected early on."
#
# The poster's script (unchanged apart from comments):

import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def make_cnn(num_classes=10, p_drop=0.25):
    return nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.Conv2d(32, 32, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(p_drop),
        nn.Conv2d(32, 64, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(p_drop),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 256, bias=False),
        nn.BatchNorm1d(256),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(256, num_classes),
    )


def run_epoch(model, loader, device, optimizer=None):
    is_train = optimizer is not None
    model.train(is_train)
    total_loss, correct, n = 0.0, 0, 0
    with torch.set_grad_enabled(is_train):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            if is_train:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total_loss += loss.item() * y.size(0)
            correct += (logits.argmax(1) == y).sum().item()
            n += y.size(0)
    return total_loss / n, correct / n


def predict(model, images, device):
    model.train(mode=False)
    with torch.inference_mode():
        return model(images.to(device)).argmax(1).cpu()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST("data", train=True, download=True, transform=tf)
    val_set = datasets.MNIST("data", train=False, transform=tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=2)
    val_loader = DataLoader(val_set, batch_size=1000, num_workers=2)

    model = make_cnn().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    history = []
    for epoch in range(args.epochs):
        t0 = time.time()
        tr_loss, tr_acc = run_epoch(model, train_loader, device, optimizer)
        va_loss, va_acc = run_epoch(model, val_loader, device)
        history.append({"epoch": epoch, "train_loss": tr_loss, "val_loss": va_loss, "train_acc": tr_acc, "val_acc": va_acc})
        print(f"[{epoch:02d}] train {tr_loss:.4f}/{tr_acc:.4f}  val {va_loss:.4f}/{va_acc:.4f}  ({time.time() - t0:.1f}s)")

    with open("history.json", "w") as f:
        json.dump(history, f, indent=1)

    images, labels = next(iter(val_loader))
    preds = predict(model, images[:16], device)
    print("first 16 predictions:", preds.tolist(), "labels:", labels[:16].tolist())


if __name__ == "__main__":
    main()
