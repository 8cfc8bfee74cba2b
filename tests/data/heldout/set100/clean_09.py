"""Transfer learning with gradual unfreezing (ULMFiT-style) for an image classifier.

While a stage is frozen its BatchNorm layers are also kept in eval mode, so the
pretrained running statistics are not overwritten by the new domain.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms


def build_model(num_classes):
    net = models.resnet34(weights=models.ResNet34_Weights.IMAGENET1K_V1)
    net.fc = nn.Linear(net.fc.in_features, num_classes)
    return net


def stages(net):
    # deepest first: unfrozen in this order
    return [net.layer4, net.layer3, net.layer2, nn.ModuleList([net.conv1, net.bn1, net.layer1])]


def freeze_stage(stage):
    stage.eval()
    stage.requires_grad_(False)


def apply_schedule(net, epoch, epochs_per_stage):
    """Unfreeze one more stage every `epochs_per_stage` epochs; must follow net.train()."""
    n_unfrozen = epoch // epochs_per_stage
    for i, stage in enumerate(stages(net)):
        if i >= n_unfrozen:
            freeze_stage(stage)
        else:
            stage.requires_grad_(True)


@torch.no_grad()
def evaluate(net, loader):
    net.eval()
    correct = total = 0
    for x, y in loader:
        correct += (net(x).argmax(dim=1) == y).sum().item()
        total += y.numel()
    return correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/pets")
    parser.add_argument("--epochs-per-stage", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=48)
    args = parser.parse_args()

    norm = transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    val_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224),
                                 transforms.ToTensor(), norm])
    train_set = datasets.ImageFolder(f"{args.data}/train", train_tf)
    val_set = datasets.ImageFolder(f"{args.data}/val", val_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=8, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=128, num_workers=8)

    net = build_model(len(train_set.classes))
    optimizer = torch.optim.AdamW([
        {"params": net.fc.parameters(), "lr": 1e-3},
        {"params": net.layer4.parameters(), "lr": 3e-4},
        {"params": net.layer3.parameters(), "lr": 1e-4},
        {"params": net.layer2.parameters(), "lr": 3e-5},
        {"params": list(net.conv1.parameters()) + list(net.bn1.parameters())
         + list(net.layer1.parameters()), "lr": 1e-5},
    ], weight_decay=1e-4)

    for epoch in range(args.epochs):
        net.train()
        apply_schedule(net, epoch, args.epochs_per_stage)
        for x, y in train_loader:
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: val acc {evaluate(net, val_loader):.4f}")

    torch.save(net.state_dict(), "resnet34_pets.pt")


if __name__ == "__main__":
    main()
