"""SimSiam pre-training on CIFAR-10 followed by a linear probe on frozen features.

Single GPU. Stage 1: the two augmented views go through the same encoder
(siamese, shared weights); stop-gradient on the target branch. Stage 2: the
encoder is frozen (eval + no grad) and a BN+linear classifier is trained on top.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader


def resnet18_cifar(out_dim):
    net = torchvision.models.resnet18(num_classes=out_dim, zero_init_residual=True)
    net.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    net.maxpool = nn.Identity()
    return net


class SimSiam(nn.Module):
    def __init__(self, dim=2048, pred_dim=512):
        super().__init__()
        self.encoder = resnet18_cifar(dim)
        prev_dim = 512
        self.encoder.fc = nn.Sequential(
            nn.Linear(prev_dim, prev_dim, bias=False),
            nn.BatchNorm1d(prev_dim),
            nn.ReLU(inplace=True),
            nn.Linear(prev_dim, prev_dim, bias=False),
            nn.BatchNorm1d(prev_dim),
            nn.ReLU(inplace=True),
            nn.Linear(prev_dim, dim),
            nn.BatchNorm1d(dim, affine=False),
        )
        # hack from the official code: the bias is followed by a non-affine BN
        self.encoder.fc[6].bias.requires_grad = False
        self.predictor = nn.Sequential(
            nn.Linear(dim, pred_dim, bias=False),
            nn.BatchNorm1d(pred_dim),
            nn.ReLU(inplace=True),
            nn.Linear(pred_dim, dim),
        )

    def forward(self, x1, x2):
        z1, z2 = self.encoder(x1), self.encoder(x2)
        p1, p2 = self.predictor(z1), self.predictor(z2)
        return p1, p2, z1.detach(), z2.detach()


def neg_cos(p, z):
    return -F.cosine_similarity(p, z, dim=1).mean()


class TwoCrop:
    def __init__(self, t):
        self.t = t

    def __call__(self, x):
        return [self.t(x), self.t(x)]


def pretrain(args, device):
    aug = T.Compose([
        T.RandomResizedCrop(32, scale=(0.2, 1.0)),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.RandomHorizontalFlip(),
        T.ToTensor(),
        T.Normalize([0.4914, 0.4822, 0.4465], [0.2023, 0.1994, 0.2010]),
    ])
    ds = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=TwoCrop(aug))
    loader = DataLoader(ds, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True, pin_memory=True)
    model = SimSiam().to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.03 * args.batch_size / 256, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.pretrain_epochs)
    for epoch in range(args.pretrain_epochs):
        model.train()
        total = 0.0
        for (x1, x2), _ in loader:
            x1, x2 = x1.to(device, non_blocking=True), x2.to(device, non_blocking=True)
            p1, p2, z1, z2 = model(x1, x2)
            loss = 0.5 * (neg_cos(p1, z2) + neg_cos(p2, z1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        sched.step()
        print(f"[pretrain] epoch {epoch} loss {total / len(loader):.4f}")
    torch.save(model.encoder.state_dict(), os.path.join(args.out, "simsiam_encoder.pt"))
    return model.encoder


def linear_probe(encoder, args, device):
    encoder.fc = nn.Identity()
    encoder.eval()
    encoder.requires_grad_(False)

    norm = T.Normalize([0.4914, 0.4822, 0.4465], [0.2023, 0.1994, 0.2010])
    train_ds = torchvision.datasets.CIFAR10(args.data, train=True, transform=T.Compose([T.RandomCrop(32, 4), T.RandomHorizontalFlip(), T.ToTensor(), norm]))
    test_ds = torchvision.datasets.CIFAR10(args.data, train=False, transform=T.Compose([T.ToTensor(), norm]))
    train_loader = DataLoader(train_ds, batch_size=256, shuffle=True, num_workers=8, drop_last=True)
    test_loader = DataLoader(test_ds, batch_size=512, num_workers=8)

    # MAE-style probe: parameter-free BN on the frozen features, then a linear layer
    classifier = nn.Sequential(nn.BatchNorm1d(512, affine=False, eps=1e-6), nn.Linear(512, 10)).to(device)
    opt = torch.optim.SGD(classifier.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(args.probe_epochs):
        classifier.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            with torch.no_grad():
                feats = encoder(x)
            loss = F.cross_entropy(classifier(feats), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        classifier.eval()
        correct = n = 0
        with torch.no_grad():
            for x, y in test_loader:
                x, y = x.to(device), y.to(device)
                correct += (classifier(encoder(x)).argmax(1) == y).sum().item()
                n += y.numel()
        print(f"[probe] epoch {epoch} top-1 {100.0 * correct / n:.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="./data")
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--pretrain-epochs", type=int, default=800)
    ap.add_argument("--probe-epochs", type=int, default=100)
    ap.add_argument("--out", default="simsiam_cifar")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    encoder = pretrain(args, device)
    linear_probe(encoder, args, device)


if __name__ == "__main__":
    main()
