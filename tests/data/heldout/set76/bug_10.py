#!/usr/bin/env python3
"""Short fine-tune of a ResNet-50 retrieval encoder on a customer catalogue,
followed by gallery embedding extraction for the ANN index.

Only layer4 and the embedding head are trained; the rest of the trunk is kept
frozen (including its BatchNorm statistics, the catalogue is small and very
different from ImageNet).
"""
import argparse
import logging

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

log = logging.getLogger("catalogue_finetune")


class RetrievalNet(nn.Module):
    def __init__(self, embed_dim=256):
        super().__init__()
        trunk = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
        trunk.fc = nn.Identity()
        self.trunk = trunk
        self.embed = nn.Linear(2048, embed_dim)

    def forward(self, x):
        return F.normalize(self.embed(self.trunk(x)), dim=1)


def freeze_trunk(trunk):
    for name, module in trunk.named_children():
        if name == "layer4":
            continue
        module.requires_grad_(False)
    for module in trunk.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eval()
            module.weight.requires_grad_(False)
            module.bias.requires_grad_(False)


def proxy_nca_loss(emb, targets, proxies, scale=16.0):
    proxies = F.normalize(proxies, dim=1)
    logits = scale * emb @ proxies.t()
    return F.cross_entropy(logits, targets)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--train-dir", required=True)
    p.add_argument("--gallery-dir", required=True)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=48)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--embed-dim", type=int, default=256)
    p.add_argument("--out", default="gallery_embeddings.npz")
    return p.parse_args()


def main():
    logging.basicConfig(level=logging.INFO)
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    norm = transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_tfm = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                    transforms.ToTensor(), norm])
    eval_tfm = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224),
                                   transforms.ToTensor(), norm])
    train_set = datasets.ImageFolder(args.train_dir, train_tfm)
    gallery_set = datasets.ImageFolder(args.gallery_dir, eval_tfm)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=8, drop_last=True)
    gallery_loader = DataLoader(gallery_set, batch_size=128, shuffle=False, num_workers=8)

    model = RetrievalNet(args.embed_dim).to(device)
    freeze_trunk(model.trunk)
    proxies = nn.Parameter(torch.randn(len(train_set.classes), args.embed_dim, device=device) * 0.01)
    params = [p for p in model.parameters() if p.requires_grad] + [proxies]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)

    for epoch in range(args.epochs):
        model.train()  # expect: BN105
        total, steps = 0.0, 0
        for images, targets in train_loader:
            images, targets = images.to(device), targets.to(device)
            loss = proxy_nca_loss(model(images), targets, proxies)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item()
            steps += 1
        log.info("epoch %d loss %.4f", epoch, total / max(steps, 1))

    model.eval()
    feats, labels = [], []
    with torch.no_grad():
        for images, targets in gallery_loader:
            feats.append(model(images.to(device)).cpu())
            labels.append(targets)
    feats = torch.cat(feats).numpy().astype(np.float32)
    labels = torch.cat(labels).numpy()
    paths = np.array([p for p, _ in gallery_set.samples])
    np.savez(args.out, embeddings=feats, labels=labels, paths=paths)
    torch.save(model.state_dict(), "catalogue_encoder.pt")
    log.info("saved %d gallery embeddings to %s", len(feats), args.out)


if __name__ == "__main__":
    main()
