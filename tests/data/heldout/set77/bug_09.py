"""BYOL pre-training on CIFAR-10 (online/target networks with EMA), followed by a linear probe."""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import resnet18


def cifar_resnet18():
    net = resnet18(num_classes=10)
    net.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    net.maxpool = nn.Identity()
    net.fc = nn.Identity()
    return net


def mlp(in_dim, hidden=4096, out_dim=256, bn_momentum=0.1):
    return nn.Sequential(
        nn.Linear(in_dim, hidden, bias=False),
        nn.BatchNorm1d(hidden, momentum=bn_momentum),
        nn.ReLU(inplace=True),
        nn.Linear(hidden, out_dim),
    )


class BYOLNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = cifar_resnet18()
        self.projector = mlp(512)

    def forward(self, x):
        return self.projector(self.encoder(x))


def byol_loss(p, z):
    return 2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1).mean()


class Views:
    def __init__(self):
        self.tf = transforms.Compose([
            transforms.RandomResizedCrop(32, scale=(0.2, 1.0)),
            transforms.RandomHorizontalFlip(),
            transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
            transforms.RandomGrayscale(0.2),
            transforms.ToTensor(),
        ])

    def __call__(self, x):
        return self.tf(x), self.tf(x)


def pretrain(device, epochs=100, base_tau=0.996):
    data = datasets.CIFAR10("./data", train=True, download=True, transform=Views())
    loader = DataLoader(data, batch_size=256, shuffle=True, num_workers=8, drop_last=True)
    online = BYOLNet().to(device)
    predictor = nn.Sequential(
        nn.Linear(256, 4096, bias=False),
        nn.BatchNorm1d(4096, momentum=0.9),  # expect: BN205
        nn.ReLU(inplace=True),
        nn.Linear(4096, 256),
    ).to(device)
    target = copy.deepcopy(online)
    target.requires_grad_(False)
    params = list(online.parameters()) + list(predictor.parameters())
    opt = torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=5e-4)

    total, step = epochs * len(loader), 0
    for epoch in range(epochs):
        for (v1, v2), _ in loader:
            v1, v2 = v1.to(device), v2.to(device)
            p1, p2 = predictor(online(v1)), predictor(online(v2))
            with torch.no_grad():
                t1, t2 = target(v1), target(v2)
            loss = byol_loss(p1, t2) + byol_loss(p2, t1)
            opt.zero_grad()
            loss.backward()
            opt.step()

            tau = 1 - (1 - base_tau) * (math.cos(math.pi * step / total) + 1) / 2
            with torch.no_grad():
                for pt, po in zip(target.parameters(), online.parameters()):
                    pt.mul_(tau).add_(po, alpha=1 - tau)
            step += 1
        print(f"[byol] epoch {epoch}: loss {loss.item():.4f}")
    return online.encoder


@torch.no_grad()
def evaluate_probe(encoder, classifier, loader, device):
    classifier.eval()
    correct = total = 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        feats = encoder(x)  # expect: BN101
        correct += (classifier(feats).argmax(1) == y).sum().item()
        total += y.numel()
    return correct / total


def linear_probe(encoder, device, epochs=50):
    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))
    train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.ToTensor(), norm])
    train_loader = DataLoader(datasets.CIFAR10("./data", train=True, transform=train_tf),
                              batch_size=256, shuffle=True, num_workers=8)
    test_loader = DataLoader(datasets.CIFAR10("./data", train=False, transform=test_tf), batch_size=512)

    encoder.requires_grad_(False)  # expect: BN105
    classifier = nn.Linear(512, 10).to(device)
    opt = torch.optim.Adam(classifier.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    for epoch in range(epochs):
        classifier.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(classifier(encoder(x)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        acc = evaluate_probe(encoder, classifier, test_loader, device)
        print(f"[probe] epoch {epoch}: loss {loss.item():.4f} test acc {acc:.2%}")


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    encoder = pretrain(device)
    torch.save(encoder.state_dict(), "byol_encoder.pt")
    linear_probe(encoder, device)


if __name__ == "__main__":
    main()
