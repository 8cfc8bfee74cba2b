"""BYOL (Bootstrap Your Own Latent) on STL-10 unlabeled, ResNet-18 backbone.

Follows the paper's recipe: online network = encoder + projector + predictor,
target network = EMA of encoder + projector (run in train mode, no gradients).
A kNN monitor on the labelled split tracks representation quality.
"""
import argparse
import copy
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision import transforms as T
from torch.utils.data import DataLoader


class MLP(nn.Module):
    def __init__(self, dim, projection_size, hidden_size=4096):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden_size, bias=False),
            nn.BatchNorm2d(hidden_size),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Linear(hidden_size, projection_size),
        )

    def forward(self, x):
        return self.net(x)


class Encoder(nn.Module):
    def __init__(self, projection_size=256, hidden_size=4096):
        super().__init__()
        resnet = torchvision.models.resnet18()
        resnet.fc = nn.Identity()
        self.backbone = resnet
        self.projector = MLP(512, projection_size, hidden_size)

    def forward(self, x):
        return self.projector(self.backbone(x))


class BYOL(nn.Module):
    def __init__(self, projection_size=256, hidden_size=4096, tau=0.996):
        super().__init__()
        self.online_encoder = Encoder(projection_size, hidden_size)
        self.online_predictor = MLP(projection_size, projection_size, hidden_size)
        self.target_encoder = copy.deepcopy(self.online_encoder)
        self.base_tau = tau
        self.tau = tau

    @torch.no_grad()
    def update_target(self, step, total_steps):
        self.tau = 1 - (1 - self.base_tau) * (math.cos(math.pi * step / total_steps) + 1) / 2
        for po, pt in zip(self.online_encoder.parameters(), self.target_encoder.parameters()):
            pt.mul_(self.tau).add_(po.detach(), alpha=1 - self.tau)

    @staticmethod
    def regression_loss(p, z):
        p = F.normalize(p, dim=-1)
        z = F.normalize(z, dim=-1)
        return 2 - 2 * (p * z).sum(dim=-1)

    def forward(self, v1, v2):
        p1 = self.online_predictor(self.online_encoder(v1))
        p2 = self.online_predictor(self.online_encoder(v2))
        with torch.no_grad():
            z1 = self.target_encoder(v1)
            z2 = self.target_encoder(v2)
        loss = self.regression_loss(p1, z2.detach()) + self.regression_loss(p2, z1.detach())
        return loss.mean()

    def online_parameters(self):
        return list(self.online_encoder.parameters()) + list(self.online_predictor.parameters())


class TwoViews:
    def __init__(self, tf):
        self.tf = tf

    def __call__(self, x):
        return self.tf(x), self.tf(x)


@torch.no_grad()
def extract_features(encoder, loader, device):
    feats, labels = [], []
    for x, y in loader:
        f = encoder(x.to(device, non_blocking=True))  # expect: BN101
        feats.append(F.normalize(f, dim=1).cpu())
        labels.append(y)
    return torch.cat(feats), torch.cat(labels)


def knn_monitor(encoder, memory_loader, test_loader, device, k=200, t=0.1, num_classes=10):
    bank, bank_labels = extract_features(encoder, memory_loader, device)
    test_feats, test_labels = extract_features(encoder, test_loader, device)
    sim = test_feats @ bank.T
    w, idx = sim.topk(k, dim=1)
    neigh = bank_labels[idx]
    w = (w / t).exp()
    scores = torch.zeros(test_feats.size(0), num_classes).scatter_add_(1, neigh, w)
    return (scores.argmax(1) == test_labels).float().mean().item() * 100


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="./data")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--knn-every", type=int, default=5)
    parser.add_argument("--ckpt-dir", default="ckpt_byol")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    os.makedirs(args.ckpt_dir, exist_ok=True)

    aug = T.Compose([
        T.RandomResizedCrop(96, scale=(0.2, 1.0)),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.GaussianBlur(9),
        T.ToTensor(),
    ])
    plain = T.ToTensor()
    unlabeled = torchvision.datasets.STL10(args.data, split="unlabeled", download=True, transform=TwoViews(aug))
    memory = torchvision.datasets.STL10(args.data, split="train", download=True, transform=plain)
    test = torchvision.datasets.STL10(args.data, split="test", download=True, transform=plain)
    train_loader = DataLoader(unlabeled, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True, pin_memory=True)
    memory_loader = DataLoader(memory, batch_size=512, num_workers=4)
    test_loader = DataLoader(test, batch_size=512, num_workers=4)

    learner = BYOL().to(device)
    opt = torch.optim.Adam(learner.online_parameters(), lr=args.lr, weight_decay=1e-6)
    total_steps = args.epochs * len(train_loader)
    step = 0
    for epoch in range(args.epochs):
        learner.train()
        for (v1, v2), _ in train_loader:
            v1, v2 = v1.to(device, non_blocking=True), v2.to(device, non_blocking=True)
            loss = learner(v1, v2)
            opt.zero_grad()
            loss.backward()
            opt.step()
            learner.update_target(step, total_steps)
            step += 1
        msg = f"epoch {epoch} loss {loss.item():.4f} tau {learner.tau:.4f}"
        if (epoch + 1) % args.knn_every == 0:
            acc = knn_monitor(learner.online_encoder.backbone, memory_loader, test_loader, device)
            msg += f" knn@200 {acc:.2f}"
        print(msg)
        torch.save(learner.online_encoder.backbone.state_dict(), os.path.join(args.ckpt_dir, "resnet18_byol.pth"))


if __name__ == "__main__":
    main()
