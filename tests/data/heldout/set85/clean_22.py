"""Linear-probe evaluation of a self-supervised ResNet-18 checkpoint.

The backbone is frozen completely: no gradients AND eval-mode BatchNorm
(the probe must not change the representation, running stats included).
Only the linear head is trained.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader
from torchvision import transforms as T


def load_backbone(path):
    net = torchvision.models.resnet18(weights=None)
    net.fc = nn.Identity()
    sd = torch.load(path, map_location="cpu")
    sd = {k.removeprefix("encoder."): v for k, v in sd["state_dict"].items() if k.startswith("encoder.")}
    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert not unexpected, unexpected
    return net


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--data", default="./data")
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()
    device = "cuda"

    tf_train = T.Compose([T.RandomResizedCrop(32, scale=(0.5, 1.0)), T.RandomHorizontalFlip(), T.ToTensor()])
    tf_test = T.ToTensor()
    train_ds = torchvision.datasets.CIFAR10(args.data, train=True, transform=tf_train, download=True)
    test_ds = torchvision.datasets.CIFAR10(args.data, train=False, transform=tf_test, download=True)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=8)
    test_loader = DataLoader(test_ds, batch_size=512, num_workers=8)

    backbone = load_backbone(args.ckpt).to(device)
    backbone.eval()
    backbone.requires_grad_(False)

    head = nn.Linear(512, 10).to(device)
    opt = torch.optim.SGD(head.parameters(), lr=0.1, momentum=0.9, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)

    for epoch in range(args.epochs):
        head.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            with torch.no_grad():
                feats = backbone(x)
            loss = F.cross_entropy(head(feats), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()

        head.eval()
        correct = 0
        with torch.no_grad():
            for x, y in test_loader:
                x, y = x.to(device), y.to(device)
                correct += (head(backbone(x)).argmax(1) == y).sum().item()
        print(f"epoch {epoch}: linear probe acc {correct / len(test_ds):.4f}")


if __name__ == "__main__":
    main()
