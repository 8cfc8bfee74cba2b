"""Fine-tune ResNet-50 on DeepWeeds with Stochastic Weight Averaging.

Head: 1x1 conv reduction (ReLU before BN), pooled, then a 128-d projection
whitened by a non-affine BatchNorm1d, then the classifier.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, SWALR, update_bn
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

REDUCE = 256
PROJ = 128


class WeedNet(nn.Module):
    def __init__(self, num_classes=9):
        super().__init__()
        r = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
        self.stem = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool)
        self.body = nn.Sequential(r.layer1, r.layer2, r.layer3, r.layer4)
        self.reduce = nn.Sequential(
            nn.Conv2d(2048, REDUCE, kernel_size=1),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(REDUCE, 1e-3),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.proj = nn.Linear(REDUCE, PROJ)
        self.whiten = nn.BatchNorm1d(PROJ, affine=False)
        self.cls = nn.Linear(PROJ, num_classes)

    def forward(self, x):
        x = self.body(self.stem(x))
        x = self.pool(self.reduce(x)).flatten(1)
        return self.cls(self.whiten(self.proj(x)))


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.size(0)
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/deepweeds")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--swa-start", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.01)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_ds = datasets.ImageFolder(os.path.join(args.data, "train"), transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.RandomRotation(180), transforms.ToTensor(), norm]))
    test_ds = datasets.ImageFolder(os.path.join(args.data, "test"), transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm]))
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=6, drop_last=True)
    test_loader = DataLoader(test_ds, batch_size=64, num_workers=6)

    model = WeedNet(len(train_ds.classes)).to(device)
    swa_model = AveragedModel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.swa_start)
    swa_scheduler = SWALR(optimizer, swa_lr=args.lr * 0.5, anneal_epochs=3)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch >= args.swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
        print(f"epoch {epoch}: loss {loss.item():.4f} test acc {evaluate(model, test_loader, device):.4f}")

    # recompute BN running statistics for the averaged weights
    update_bn(train_loader, swa_model, device=device)
    swa_acc = evaluate(swa_model, test_loader, device)
    print(f"SWA test acc {swa_acc:.4f}")
    torch.save(swa_model.module.state_dict(), "weednet_swa.pth")


if __name__ == "__main__":
    main()
