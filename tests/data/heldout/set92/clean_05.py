"""Fashion-MNIST, project 1 (resubmission after TA feedback).

TA feedback addressed:
  * evaluate() used to leave the model in eval mode inside the epoch loop -> it
    now switches back to train mode before returning.
  * BN widths now come from the same constants as the convs.

Usage: python fashion_cnn_v2.py --epochs 12 --batch-size 64
"""
import argparse

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, transforms

C1, C2, C3 = 32, 64, 128


def build_model():
    return nn.Sequential(
        # block 1: conv (with bias) -> ReLU -> BN ("post-activation BN" variant from the paper we read)
        nn.Conv2d(1, C1, 3, padding=1),
        nn.ReLU(),
        nn.BatchNorm2d(C1),
        nn.MaxPool2d(2),
        # block 2: conv -> BN -> ReLU
        nn.Conv2d(C1, C2, 3, padding=1, bias=False),
        nn.BatchNorm2d(C2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        # block 3
        nn.Conv2d(C2, C3, 3, padding=1, bias=False),
        nn.BatchNorm2d(C3),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(C3, 10),
    )


def evaluate(model, loader, device):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            out = model(data)
            loss += F.cross_entropy(out, target, reduction="sum").item()
            correct += (out.argmax(1) == target).sum().item()
    model.train()
    n = len(loader.dataset)
    return loss / n, correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))])
    full = datasets.FashionMNIST("../data", train=True, download=True, transform=tf)
    test_set = datasets.FashionMNIST("../data", train=False, download=True, transform=tf)
    train_set, val_set = random_split(full, [54000, 6000], generator=torch.Generator().manual_seed(args.seed))

    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=2)
    val_loader = DataLoader(val_set, batch_size=1000)
    test_loader = DataLoader(test_set, batch_size=1000)

    model = build_model().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    curves = {"train": [], "val": [], "val_acc": []}

    model.train()
    for epoch in range(1, args.epochs + 1):
        running = 0.0
        for data, target in train_loader:
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(data), target)
            loss.backward()
            optimizer.step()
            running += loss.item() * data.size(0)
        val_loss, val_acc = evaluate(model, val_loader, device)
        curves["train"].append(running / len(train_set))
        curves["val"].append(val_loss)
        curves["val_acc"].append(val_acc)
        print(f"epoch {epoch:2d}  train {curves['train'][-1]:.4f}  val {val_loss:.4f}  acc {100 * val_acc:.2f}%")

    test_loss, test_acc = evaluate(model, test_loader, device)
    print(f"test: loss {test_loss:.4f}  acc {100 * test_acc:.2f}%")

    plt.figure(figsize=(6, 4))
    plt.plot(curves["train"], label="train")
    plt.plot(curves["val"], label="val")
    plt.xlabel("epoch")
    plt.legend()
    plt.savefig("curves_v2.png", dpi=150)
    torch.save(model.state_dict(), "fashion_cnn_v2.pt")


if __name__ == "__main__":
    main()
