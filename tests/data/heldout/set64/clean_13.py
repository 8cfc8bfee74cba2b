"""BYOL self-supervised pre-training on STL-10 with a kNN monitor and a final linear probe."""
import argparse
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader, TensorDataset


def mlp(in_dim, hidden_dim=4096, out_dim=256):
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim, bias=False),
        nn.BatchNorm1d(hidden_dim),
        nn.ReLU(inplace=True),
        nn.Linear(hidden_dim, out_dim),
    )


class BYOLNet(nn.Module):
    def __init__(self, proj_dim=256):
        super().__init__()
        self.encoder = torchvision.models.resnet18(weights=None)
        feat_dim = self.encoder.fc.in_features
        self.encoder.fc = nn.Identity()
        self.projector = mlp(feat_dim, out_dim=proj_dim)

    def forward(self, x):
        return self.projector(self.encoder(x))


class TwoCrops:
    def __init__(self, size=96):
        self.tf = T.Compose([
            T.RandomResizedCrop(size, scale=(0.2, 1.0)),
            T.RandomHorizontalFlip(),
            T.RandomApply([T.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
            T.RandomGrayscale(p=0.2),
            T.RandomApply([T.GaussianBlur(9)], p=0.5),
            T.ToTensor(),
            T.Normalize([0.43, 0.42, 0.39], [0.27, 0.26, 0.27]),
        ])

    def __call__(self, img):
        return self.tf(img), self.tf(img)


def regression_loss(p, z):
    return 2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1).mean()


@torch.no_grad()
def momentum_update(online, target, tau):
    for po, pt in zip(online.parameters(), target.parameters()):
        pt.mul_(tau).add_(po.detach(), alpha=1 - tau)


@torch.no_grad()
def extract_features(encoder, loader, device):
    encoder.train(False)
    feats, labels = [], []
    for x, y in loader:
        feats.append(F.normalize(encoder(x.to(device)), dim=1).cpu())
        labels.append(y)
    return torch.cat(feats), torch.cat(labels)


def knn_accuracy(train_f, train_y, test_f, test_y, k=200, t=0.1, num_classes=10):
    sim = test_f @ train_f.T
    w, idx = sim.topk(k, dim=1)
    votes = torch.zeros(test_f.size(0), num_classes).scatter_add_(1, train_y[idx], (w / t).exp())
    return (votes.argmax(1) == test_y).float().mean().item()


def linear_probe(train_f, train_y, test_f, test_y, epochs=100, num_classes=10):
    clf = nn.Linear(train_f.size(1), num_classes)
    opt = torch.optim.Adam(clf.parameters(), lr=1e-3, weight_decay=1e-6)
    loader = DataLoader(TensorDataset(train_f, train_y), batch_size=256, shuffle=True)
    for _ in range(epochs):
        for f, y in loader:
            loss = F.cross_entropy(clf(f), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        return (clf(test_f).argmax(1) == test_y).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="./data")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--tau", type=float, default=0.996)
    args = ap.parse_args()
    device = torch.device("cuda")

    pretrain = torchvision.datasets.STL10(args.data, split="train+unlabeled", download=True, transform=TwoCrops())
    eval_tf = T.Compose([T.ToTensor(), T.Normalize([0.43, 0.42, 0.39], [0.27, 0.26, 0.27])])
    memory = DataLoader(torchvision.datasets.STL10(args.data, split="train", transform=eval_tf), batch_size=512)
    test = DataLoader(torchvision.datasets.STL10(args.data, split="test", transform=eval_tf), batch_size=512)
    loader = DataLoader(pretrain, batch_size=args.batch_size, shuffle=True, num_workers=16,
                        pin_memory=True, drop_last=True)

    online = BYOLNet().to(device)
    predictor = mlp(256, hidden_dim=4096, out_dim=256).to(device)
    target = copy.deepcopy(online)
    optimizer = torch.optim.AdamW(list(online.parameters()) + list(predictor.parameters()),
                                  lr=args.lr, weight_decay=1e-6)
    total_steps, step = args.epochs * len(loader), 0

    for epoch in range(args.epochs):
        online.train()
        predictor.train()
        target.train()
        for (v1, v2), _ in loader:
            v1, v2 = v1.to(device, non_blocking=True), v2.to(device, non_blocking=True)
            p1, p2 = predictor(online(v1)), predictor(online(v2))
            with torch.no_grad():
                z1, z2 = target(v1), target(v2)
            loss = regression_loss(p1, z2) + regression_loss(p2, z1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            tau = 1 - (1 - args.tau) * (math.cos(math.pi * step / total_steps) + 1) / 2
            momentum_update(online, target, tau)
            step += 1
        if epoch % 10 == 0 or epoch == args.epochs - 1:
            train_f, train_y = extract_features(online.encoder, memory, device)
            test_f, test_y = extract_features(online.encoder, test, device)
            print(f"epoch {epoch}: loss {loss.item():.4f} kNN acc {knn_accuracy(train_f, train_y, test_f, test_y):.4f}")
            torch.save({"online": online.state_dict(), "target": target.state_dict()}, "byol_stl10.pt")

    train_f, train_y = extract_features(target.encoder, memory, device)
    test_f, test_y = extract_features(target.encoder, test, device)
    print(f"linear probe acc: {linear_probe(train_f, train_y, test_f, test_y):.4f}")


if __name__ == "__main__":
    main()
