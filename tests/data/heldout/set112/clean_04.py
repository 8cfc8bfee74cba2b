"""BYOL on CIFAR-10 with a ResNet-18 backbone (single GPU).

Online network: backbone -> projector -> predictor.
Target network: EMA copy of backbone + projector. Following the published
recipe, the target network is run in training mode (batch statistics) under
torch.no_grad(); it never receives gradients.
"""
import argparse
import copy
import math
import os

import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch import nn
from torch.nn import BatchNorm1d as BN1d
from torch.utils.data import DataLoader


def mlp(in_dim, hidden_dim=4096, out_dim=256):
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim, bias=False),
        BN1d(hidden_dim),
        nn.ReLU(inplace=True),
        nn.Linear(hidden_dim, out_dim),
    )


def cifar_resnet18():
    net = torchvision.models.resnet18()
    net.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    net.maxpool = nn.Identity()
    net.fc = nn.Identity()
    return net


class OnlineNet(nn.Module):
    def __init__(self, feat_dim=512, proj_dim=256):
        super().__init__()
        self.backbone = cifar_resnet18()
        self.projector = mlp(feat_dim, 4096, proj_dim)

    def forward(self, x):
        return self.projector(self.backbone(x))


class BYOL(nn.Module):
    def __init__(self, base_momentum=0.99):
        super().__init__()
        self.online = OnlineNet()
        self.predictor = mlp(256, 4096, 256)
        self.target = copy.deepcopy(self.online)
        self.base_momentum = base_momentum
        self.momentum = base_momentum

    def trainable_parameters(self):
        return list(self.online.parameters()) + list(self.predictor.parameters())

    @torch.no_grad()
    def update_target(self, cur_step, max_steps):
        self.momentum = 1 - (1 - self.base_momentum) * (math.cos(math.pi * cur_step / max_steps) + 1) / 2
        for p_o, p_t in zip(self.online.parameters(), self.target.parameters()):
            p_t.data.mul_(self.momentum).add_(p_o.data, alpha=1.0 - self.momentum)

    def forward(self, x1, x2):
        q1 = self.predictor(self.online(x1))
        q2 = self.predictor(self.online(x2))
        with torch.no_grad():
            k1 = self.target(x1)
            k2 = self.target(x2)
        loss = byol_loss(q1, k2) + byol_loss(q2, k1)
        return loss.mean()


def byol_loss(p, z):
    return 2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1)


class Views:
    def __init__(self, t):
        self.t = t

    def __call__(self, img):
        return self.t(img), self.t(img)


@torch.no_grad()
def knn_accuracy(backbone, train_loader, test_loader, device, k=20):
    backbone.eval()
    bank, bank_y = [], []
    for x, y in train_loader:
        bank.append(F.normalize(backbone(x.to(device)), dim=1))
        bank_y.append(y.to(device))
    bank, bank_y = torch.cat(bank), torch.cat(bank_y)
    correct = total = 0
    for x, y in test_loader:
        f = F.normalize(backbone(x.to(device)), dim=1)
        idx = (f @ bank.T).topk(k, dim=1).indices
        pred = bank_y[idx].mode(dim=1).values
        correct += (pred == y.to(device)).sum().item()
        total += y.size(0)
    return 100.0 * correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="./data")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--eval-every", type=int, default=10)
    ap.add_argument("--out", default="byol_cifar")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(args.out, exist_ok=True)

    aug = T.Compose([
        T.RandomResizedCrop(32, scale=(0.08, 1.0)),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.ToTensor(),
        T.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261)),
    ])
    plain = T.Compose([T.ToTensor(), T.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))])
    ssl_set = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=Views(aug))
    ssl_loader = DataLoader(ssl_set, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True, pin_memory=True)
    bank_loader = DataLoader(torchvision.datasets.CIFAR10(args.data, train=True, transform=plain), batch_size=1000, num_workers=4)
    test_loader = DataLoader(torchvision.datasets.CIFAR10(args.data, train=False, transform=plain), batch_size=1000, num_workers=4)

    model = BYOL().to(device)
    optimizer = torch.optim.AdamW(model.trainable_parameters(), lr=args.lr, weight_decay=1e-6)
    max_steps = args.epochs * len(ssl_loader)
    step = 0
    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for (x1, x2), _ in ssl_loader:
            x1, x2 = x1.to(device, non_blocking=True), x2.to(device, non_blocking=True)
            loss = model(x1, x2)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            model.update_target(step, max_steps)
            step += 1
            running += loss.item()
        line = f"epoch {epoch + 1}: loss {running / len(ssl_loader):.4f} m={model.momentum:.4f}"
        if (epoch + 1) % args.eval_every == 0:
            line += f" | kNN acc {knn_accuracy(model.online.backbone, bank_loader, test_loader, device):.2f}"
        print(line)
        torch.save(model.online.backbone.state_dict(), os.path.join(args.out, "backbone.pt"))

    backbone = model.online.backbone
    backbone.eval()
    scripted = torch.jit.trace(backbone, torch.randn(2, 3, 32, 32, device=device))
    scripted.save(os.path.join(args.out, "backbone_traced.pt"))


if __name__ == "__main__":
    main()
