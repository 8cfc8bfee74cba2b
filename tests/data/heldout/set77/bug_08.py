"""SimCLR pre-training on STL-10 with an extra dense (per-location) contrastive head and a kNN monitor."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class TwoCrops:
    def __init__(self, tf):
        self.tf = tf

    def __call__(self, x):
        return self.tf(x), self.tf(x)


def conv_bn(in_c, out_c, stride=1):
    return nn.Sequential(nn.Conv2d(in_c, out_c, 3, stride, 1, bias=False), nn.BatchNorm2d(out_c), nn.ReLU(inplace=True))


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 64), conv_bn(64, 128, 2), conv_bn(128, 256, 2), conv_bn(256, 512, 2),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x, dense=False):
        fmap = self.features(x)
        pooled = torch.flatten(self.pool(fmap), 1)
        return (pooled, fmap) if dense else pooled


class SimCLR(nn.Module):
    def __init__(self, feat_dim=512, proj_dim=128):
        super().__init__()
        self.backbone = Backbone()
        self.projector = nn.Sequential(
            nn.Linear(feat_dim, 2048, bias=False),
            nn.BatchNorm1d(2048),
            nn.ReLU(inplace=True),
            nn.Linear(2048, proj_dim, bias=False),
            nn.BatchNorm1d(2048),  # expect: BN201
        )
        self.dense_projector = nn.Sequential(
            nn.Conv2d(feat_dim, 512, 1, bias=False),
            nn.BatchNorm1d(512),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Conv2d(512, proj_dim, 1),
        )

    def forward(self, x):
        pooled, fmap = self.backbone(x, dense=True)
        z = self.projector(pooled)
        zd = self.dense_projector(fmap).flatten(2)
        return z, zd


def nt_xent(z1, z2, tau=0.2):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.size(0)
    sim = z @ z.t() / tau
    sim.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, targets)


def dense_loss(zd1, zd2, tau=0.2):
    q = F.normalize(zd1, dim=1).transpose(1, 2).reshape(-1, zd1.size(1))
    k = F.normalize(zd2, dim=1).transpose(1, 2).reshape(-1, zd2.size(1))
    return nt_xent(q, k, tau)


@torch.no_grad()
def extract_features(encoder, loader, device):
    feats, labels = [], []
    for x, y in loader:
        feats.append(F.normalize(encoder(x.to(device)), dim=1))  # expect: BN101
        labels.append(y.to(device))
    return torch.cat(feats), torch.cat(labels)


def knn_accuracy(encoder, memory_loader, test_loader, device, k=200, tau=0.1):
    bank, bank_y = extract_features(encoder, memory_loader, device)
    feats, ys = extract_features(encoder, test_loader, device)
    correct = 0
    for f, y in zip(feats.split(512), ys.split(512)):
        sim, idx = (f @ bank.t()).topk(k, dim=1)
        votes = torch.zeros(f.size(0), 10, device=device)
        votes.scatter_add_(1, bank_y[idx], (sim / tau).exp())
        correct += (votes.argmax(1) == y).sum().item()
    return correct / ys.numel()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--dense-weight", type=float, default=0.5)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    aug = transforms.Compose([
        transforms.RandomResizedCrop(96, scale=(0.2, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        transforms.RandomGrayscale(0.2),
        transforms.ToTensor(),
    ])
    plain = transforms.ToTensor()
    unlabeled = datasets.STL10("./data", split="unlabeled", download=True, transform=TwoCrops(aug))
    train_loader = DataLoader(unlabeled, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    memory_loader = DataLoader(datasets.STL10("./data", split="train", transform=plain), batch_size=512)
    test_loader = DataLoader(datasets.STL10("./data", split="test", transform=plain), batch_size=512)

    model = SimCLR().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.3 * args.batch_size / 256, momentum=0.9, weight_decay=1e-6)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)

    for epoch in range(args.epochs):
        for (x1, x2), _ in train_loader:
            x1, x2 = x1.to(device), x2.to(device)
            z1, zd1 = model(x1)
            z2, zd2 = model(x2)
            loss = nt_xent(z1, z2) + args.dense_weight * dense_loss(zd1, zd2)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        if epoch % 10 == 0:
            acc = knn_accuracy(model.backbone, memory_loader, test_loader, device)
            print(f"epoch {epoch}: loss {loss.item():.4f} knn top-1 {acc:.2%}")

    torch.save(model.backbone.state_dict(), "simclr_backbone.pt")


if __name__ == "__main__":
    main()
