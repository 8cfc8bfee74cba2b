"""Two-stage transfer learning (head warm-up, then full fine-tuning) for
EfficientNet-B0 on EuroSAT.

Stage 1: backbone frozen and its BatchNorm layers kept in eval mode, only the
new classifier learns. Stage 2: everything unfrozen with discriminative
learning rates; BatchNorm goes back to normal training behaviour.
"""
import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, models, transforms

STAGE1_EPOCHS = 3
STAGE2_EPOCHS = 12


def build(num_classes=10):
    net = models.efficientnet_b0(weights=models.EfficientNet_B0_Weights.IMAGENET1K_V1)
    net.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))
    return net


def evaluate(net, loader, device):
    net.eval()
    correct = n = 0
    with torch.no_grad():
        for x, y in loader:
            pred = net(x.to(device)).argmax(1).cpu()
            correct += (pred == y).sum().item()
            n += len(y)
    return correct / n


def train_steps(net, loader, optimizer, criterion, device):
    total = 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = criterion(net(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="./data")
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf = transforms.Compose([transforms.Resize(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    ds = datasets.EuroSAT(args.root, transform=tf, download=True)
    n_val = int(0.2 * len(ds))
    train_ds, val_ds = random_split(ds, [len(ds) - n_val, n_val], generator=torch.Generator().manual_seed(42))
    train_loader = DataLoader(train_ds, batch_size=args.bs, shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256, num_workers=4)

    net = build().to(device)
    criterion = nn.CrossEntropyLoss()

    # ---- stage 1: linear warm-up of the new head ----
    net.features.requires_grad_(False)
    opt1 = torch.optim.Adam(net.classifier.parameters(), lr=args.lr)
    for epoch in range(STAGE1_EPOCHS):
        net.train()
        net.features.eval()  # frozen trunk: keep ImageNet BN statistics
        loss = train_steps(net, train_loader, opt1, criterion, device)
        print(f"[stage1] epoch {epoch} loss {loss:.4f} val_acc {evaluate(net, val_loader, device):.4f}")

    # ---- stage 2: unfreeze everything, discriminative LRs ----
    net.features.requires_grad_(True)
    opt2 = torch.optim.Adam([
        {"params": net.features[:4].parameters(), "lr": args.lr / 100},
        {"params": net.features[4:].parameters(), "lr": args.lr / 10},
        {"params": net.classifier.parameters(), "lr": args.lr},
    ])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=STAGE2_EPOCHS)
    for epoch in range(STAGE2_EPOCHS):
        net.train()
        loss = train_steps(net, train_loader, opt2, criterion, device)
        sched.step()
        print(f"[stage2] epoch {epoch} loss {loss:.4f} val_acc {evaluate(net, val_loader, device):.4f}")

    torch.save(net.state_dict(), "effb0_eurosat.pth")


if __name__ == "__main__":
    main()
