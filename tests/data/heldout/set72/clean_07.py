"""BYOL self-supervised pre-training of a ResNet-18, followed by a linear probe."""
import argparse
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader


def mlp(in_dim, hidden_dim=4096, out_dim=256):
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim, bias=False),
        nn.BatchNorm1d(hidden_dim),
        nn.ReLU(inplace=True),
        nn.Linear(hidden_dim, out_dim),
    )


class BYOL(nn.Module):
    def __init__(self, base_momentum=0.996):
        super().__init__()
        backbone = torchvision.models.resnet18(weights=None)
        feat_dim = backbone.fc.in_features
        backbone.fc = nn.Identity()
        self.online = nn.Sequential(backbone, mlp(feat_dim))
        self.predictor = mlp(256)
        self.target = copy.deepcopy(self.online)
        self.base_momentum = base_momentum

    @property
    def backbone(self):
        return self.online[0]

    @torch.no_grad()
    def update_target(self, step, total_steps):
        tau = 1 - (1 - self.base_momentum) * (math.cos(math.pi * step / total_steps) + 1) / 2
        for p_o, p_t in zip(self.online.parameters(), self.target.parameters()):
            p_t.mul_(tau).add_(p_o.detach(), alpha=1 - tau)

    def forward(self, v1, v2):
        p1, p2 = self.predictor(self.online(v1)), self.predictor(self.online(v2))
        with torch.no_grad():
            z1, z2 = self.target(v1), self.target(v2)
        loss = lambda p, z: 2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1).mean()
        return loss(p1, z2) + loss(p2, z1)


class TwoViews:
    def __init__(self, size=96):
        self.tf = T.Compose([
            T.RandomResizedCrop(size, scale=(0.2, 1.0)),
            T.RandomHorizontalFlip(),
            T.RandomApply([T.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
            T.RandomGrayscale(0.2),
            T.ToTensor(),
            T.Normalize((0.43, 0.42, 0.39), (0.27, 0.26, 0.27)),
        ])

    def __call__(self, img):
        return self.tf(img), self.tf(img)


def pretrain(model, loader, epochs, device, lr=2e-3):
    params = list(model.online.parameters()) + list(model.predictor.parameters())
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=1e-6)
    total, step = epochs * len(loader), 0
    for epoch in range(epochs):
        model.train()
        for (v1, v2), _ in loader:
            loss = model(v1.to(device, non_blocking=True), v2.to(device, non_blocking=True))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            model.update_target(step, total)
            step += 1
        print(f"pretrain epoch {epoch}: loss {loss.item():.4f}")


@torch.no_grad()
def extract_features(backbone, loader, device):
    backbone.eval()
    feats, labels = [], []
    for x, y in loader:
        feats.append(backbone(x.to(device)))
        labels.append(y.to(device))
    return torch.cat(feats), torch.cat(labels)


def linear_probe(backbone, train_loader, test_loader, num_classes, device, epochs=100):
    backbone.requires_grad_(False)
    backbone.eval()
    x_train, y_train = extract_features(backbone, train_loader, device)
    x_test, y_test = extract_features(backbone, test_loader, device)
    mean, std = x_train.mean(0), x_train.std(0) + 1e-6
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    head = nn.Linear(x_train.size(1), num_classes).to(device)
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    for _ in range(epochs):
        head.train()
        perm = torch.randperm(x_train.size(0), device=device)
        for idx in perm.split(256):
            loss = F.cross_entropy(head(x_train[idx]), y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    head.eval()
    with torch.no_grad():
        acc = (head(x_test).argmax(1) == y_test).float().mean().item()
    return acc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="./data")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    device = torch.device("cuda")

    unlabeled = torchvision.datasets.STL10(args.data, split="train+unlabeled", transform=TwoViews(), download=True)
    loader = DataLoader(unlabeled, batch_size=args.batch_size, shuffle=True, num_workers=8,
                        pin_memory=True, drop_last=True)
    model = BYOL().to(device)
    pretrain(model, loader, args.epochs, device)
    torch.save(model.backbone.state_dict(), "byol_resnet18.pt")

    plain = T.Compose([T.ToTensor(), T.Normalize((0.43, 0.42, 0.39), (0.27, 0.26, 0.27))])
    train_ds = torchvision.datasets.STL10(args.data, split="train", transform=plain)
    test_ds = torchvision.datasets.STL10(args.data, split="test", transform=plain)
    acc = linear_probe(model.backbone, DataLoader(train_ds, batch_size=512, num_workers=8),
                       DataLoader(test_ds, batch_size=512, num_workers=8), 10, device)
    print(f"linear probe top-1: {acc:.4f}")


if __name__ == "__main__":
    main()
