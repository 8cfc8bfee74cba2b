"""DANN (Ganin & Lempitsky, 2015) on Office-31 with an ImageNet ResNet-50 backbone.

Usage: python dann_office31.py --source amazon --target webcam
"""
import argparse
import math
import os

import torch
from torch import nn
import torch.nn.functional as F
from torch.autograd import Function
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms


class GradReverse(Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.alpha = alpha
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.neg() * ctx.alpha, None


def grad_reverse(x, alpha=1.0):
    return GradReverse.apply(x, alpha)


class DANN(nn.Module):
    def __init__(self, num_classes=31, bottleneck_dim=256):
        super().__init__()
        backbone = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)
        self.features = nn.Sequential(*list(backbone.children())[:-1])  # -> (N, 2048, 1, 1)
        self.bottleneck = nn.Sequential(
            nn.Linear(2048, bottleneck_dim, bias=False),
            nn.BatchNorm1d(bottleneck_dim),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(bottleneck_dim, num_classes)
        self.domain_head = nn.Sequential(
            nn.Linear(bottleneck_dim, 1024),  # expect: BN204
            nn.BatchNorm1d(1024),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(1024, 1),
        )

    def forward(self, x, alpha=1.0):
        f = torch.flatten(self.features(x), 1)
        f = self.bottleneck(f)
        class_logits = self.classifier(f)
        domain_logits = self.domain_head(grad_reverse(f, alpha))
        return class_logits, domain_logits


def office_loader(root, domain, batch_size, train):
    tf = transforms.Compose([
        transforms.Resize(256),
        transforms.RandomCrop(224) if train else transforms.CenterCrop(224),
        transforms.RandomHorizontalFlip() if train else transforms.Lambda(lambda im: im),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    ds = datasets.ImageFolder(os.path.join(root, domain, "images"), tf)
    return DataLoader(ds, batch_size=batch_size, shuffle=train, drop_last=train, num_workers=4)


@torch.no_grad()
def evaluate(model, loader, device):
    correct, n = 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits, _ = model(x, alpha=0.0)  # expect: BN101
        correct += (logits.argmax(1) == y).sum().item()
        n += y.size(0)
    return 100.0 * correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="data/office31")
    parser.add_argument("--source", default="amazon")
    parser.add_argument("--target", default="webcam")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--iters-per-epoch", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    src_loader = office_loader(args.root, args.source, args.batch_size, train=True)
    tgt_loader = office_loader(args.root, args.target, args.batch_size, train=True)
    tgt_test = office_loader(args.root, args.target, 64, train=False)

    model = DANN().to(device)
    optimizer = torch.optim.SGD(
        [
            {"params": model.features.parameters(), "lr": args.lr * 0.1},
            {"params": model.bottleneck.parameters()},
            {"params": model.classifier.parameters()},
            {"params": model.domain_head.parameters()},
        ],
        lr=args.lr, momentum=0.9, weight_decay=1e-3, nesterov=True,
    )

    total_iters = args.epochs * args.iters_per_epoch
    best = 0.0
    for epoch in range(args.epochs):
        model.train()
        src_iter, tgt_iter = iter(src_loader), iter(tgt_loader)
        for it in range(args.iters_per_epoch):
            try:
                xs, ys = next(src_iter)
            except StopIteration:
                src_iter = iter(src_loader)
                xs, ys = next(src_iter)
            try:
                xt, _ = next(tgt_iter)
            except StopIteration:
                tgt_iter = iter(tgt_loader)
                xt, _ = next(tgt_iter)
            xs, ys, xt = xs.to(device), ys.to(device), xt.to(device)

            p = (epoch * args.iters_per_epoch + it) / total_iters
            alpha = 2.0 / (1.0 + math.exp(-10 * p)) - 1.0

            x = torch.cat([xs, xt], dim=0)
            class_logits, domain_logits = model(x, alpha=alpha)
            cls_loss = F.cross_entropy(class_logits[: xs.size(0)], ys)
            dom_labels = torch.cat([torch.ones(xs.size(0)), torch.zeros(xt.size(0))]).to(device)
            dom_loss = F.binary_cross_entropy_with_logits(domain_logits.squeeze(1), dom_labels)
            loss = cls_loss + dom_loss

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        acc = evaluate(model, tgt_test, device)
        best = max(best, acc)
        print(f"[{args.source}->{args.target}] epoch {epoch:02d} target acc {acc:.2f} (best {best:.2f})")


if __name__ == "__main__":
    main()
