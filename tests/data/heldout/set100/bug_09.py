"""Fine-tune an ImageNet ResNet-50 on a flowers dataset.

Schedule: train only the new head for the first few epochs, then unfreeze the
backbone with a 10x smaller learning rate.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms


class FineTuneModel(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        backbone = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
        in_features = backbone.fc.in_features
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(in_features, num_classes))

    def forward(self, x):
        return self.head(self.backbone(x))


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (model(x).argmax(dim=1) == y).sum().item()
            total += y.numel()
    return correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/flowers102")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--unfreeze-epoch", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    weights = models.ResNet50_Weights.IMAGENET1K_V2
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(weights.transforms().mean, weights.transforms().std),
    ])
    val_tf = weights.transforms()
    train_set = datasets.ImageFolder(f"{args.data}/train", transform=train_tf)
    val_set = datasets.ImageFolder(f"{args.data}/val", transform=val_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=8, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=64, num_workers=8)

    model = FineTuneModel(num_classes=len(train_set.classes)).to(device)
    model.backbone.requires_grad_(False)  # expect: BN105
    optimizer = torch.optim.AdamW(model.head.parameters(), lr=1e-3, weight_decay=1e-4)

    for epoch in range(args.epochs):
        if epoch == args.unfreeze_epoch:
            model.backbone.requires_grad_(True)
            optimizer.add_param_group({"params": model.backbone.parameters(), "lr": 1e-4})
            print("backbone unfrozen")

        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            loss.backward()
            optimizer.step()

        acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch:2d}  val acc {acc:.4f}")

    torch.save(model.state_dict(), "resnet50_flowers.pt")


if __name__ == "__main__":
    main()
