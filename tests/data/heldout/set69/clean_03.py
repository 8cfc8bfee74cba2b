"""MoCo v2 pre-training (single node, single GPU) followed by a linear probe.

    python clean_03.py --data /data/imagenette --pretrain-epochs 200 --probe-epochs 50

Stage 1: momentum-contrast pre-training with a negative queue and a kNN
monitor. Stage 2: the query backbone is frozen (weights and BN statistics)
and a linear classifier is trained on top of its pooled features.
"""
import argparse
import copy
import logging
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
import torchvision
import torchvision.transforms as T
from PIL import ImageFilter
import random

logger = logging.getLogger("moco")
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


class RandomBlur:
    def __init__(self, sigma=(0.1, 2.0)):
        self.sigma = sigma

    def __call__(self, img):
        return img.filter(ImageFilter.GaussianBlur(radius=random.uniform(*self.sigma)))


class TwoCrops:
    def __init__(self, base):
        self.base = base

    def __call__(self, img):
        return self.base(img), self.base(img)


def moco_v2_augment(size=224):
    return T.Compose([
        T.RandomResizedCrop(size, scale=(0.2, 1.0)),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.RandomApply([RandomBlur()], p=0.5),
        T.RandomHorizontalFlip(),
        T.ToTensor(),
        T.Normalize(MEAN, STD),
    ])


class Encoder(nn.Module):
    def __init__(self, arch="resnet50", dim=128, hidden=2048):
        super().__init__()
        self.backbone = getattr(torchvision.models, arch)(weights=None)
        feat_dim = self.backbone.fc.in_features
        self.backbone.fc = nn.Identity()
        self.head = nn.Sequential(
            nn.Linear(feat_dim, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, dim),
            nn.BatchNorm1d(dim, affine=False),
        )
        self.feat_dim = feat_dim

    def forward(self, x):
        return self.head(self.backbone(x))


class MoCo(nn.Module):
    def __init__(self, arch="resnet50", dim=128, queue_size=16384, momentum=0.999, temperature=0.2):
        super().__init__()
        self.m = momentum
        self.t = temperature
        self.encoder_q = Encoder(arch, dim)
        self.encoder_k = copy.deepcopy(self.encoder_q)
        self.register_buffer("queue", F.normalize(torch.randn(dim, queue_size), dim=0))
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))

    def query_parameters(self):
        return self.encoder_q.parameters()

    @torch.no_grad()
    def momentum_update(self):
        for p_q, p_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            p_k.data.mul_(self.m).add_(p_q.data, alpha=1.0 - self.m)

    @torch.no_grad()
    def enqueue(self, keys):
        n = keys.shape[0]
        ptr = int(self.queue_ptr)
        size = self.queue.shape[1]
        if ptr + n <= size:
            self.queue[:, ptr:ptr + n] = keys.t()
        else:
            first = size - ptr
            self.queue[:, ptr:] = keys[:first].t()
            self.queue[:, : n - first] = keys[first:].t()
        self.queue_ptr[0] = (ptr + n) % size

    def forward(self, im_q, im_k):
        q = F.normalize(self.encoder_q(im_q), dim=1)
        with torch.no_grad():
            self.momentum_update()
            idx = torch.randperm(im_k.size(0), device=im_k.device)
            k = F.normalize(self.encoder_k(im_k[idx]), dim=1)
            k = k[torch.argsort(idx)]
        l_pos = torch.einsum("nc,nc->n", q, k).unsqueeze(-1)
        l_neg = torch.einsum("nc,ck->nk", q, self.queue.clone().detach())
        logits = torch.cat([l_pos, l_neg], dim=1) / self.t
        labels = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
        self.enqueue(k)
        return logits, labels


def knn_accuracy(net, train_loader, val_loader, device, k=20, t=0.07):
    net.eval()
    with torch.no_grad():
        bank, bank_y = [], []
        for x, y in train_loader:
            bank.append(F.normalize(net(x.to(device)), dim=1))
            bank_y.append(y.to(device))
        bank, bank_y = torch.cat(bank), torch.cat(bank_y)
        num_classes = int(bank_y.max()) + 1
        correct = total = 0
        for x, y in val_loader:
            f = F.normalize(net(x.to(device)), dim=1)
            sim, idx = (f @ bank.t()).topk(k, dim=1)
            votes = torch.zeros(f.size(0), num_classes, device=device)
            votes.scatter_add_(1, bank_y[idx], (sim / t).exp())
            correct += (votes.argmax(1).cpu() == y).sum().item()
            total += y.numel()
    net.train()
    return 100.0 * correct / max(1, total)


def probe_accuracy(backbone, classifier, loader, device):
    backbone.eval()
    classifier.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            logits = classifier(backbone(x.to(device)))
            correct += (logits.argmax(1).cpu() == y).sum().item()
            total += y.numel()
    return 100.0 * correct / max(1, total)


def adjust_lr(optimizer, base_lr, epoch, epochs):
    lr = base_lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
    for g in optimizer.param_groups:
        g["lr"] = lr
    return lr


def args_parser():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--arch", default="resnet50")
    ap.add_argument("--pretrain-epochs", type=int, default=200)
    ap.add_argument("--probe-epochs", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.06)
    ap.add_argument("--probe-lr", type=float, default=10.0)
    ap.add_argument("--queue", type=int, default=16384)
    ap.add_argument("--knn-every", type=int, default=20)
    ap.add_argument("--out", default="runs/mocov2")
    ap.add_argument("--resume", default="")
    return ap.parse_args()


def main():
    args = args_parser()
    os.makedirs(args.out, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    plain = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
    probe_aug = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)])
    pretrain_set = torchvision.datasets.ImageFolder(os.path.join(args.data, "train"), TwoCrops(moco_v2_augment()))
    bank_set = torchvision.datasets.ImageFolder(os.path.join(args.data, "train"), plain)
    probe_set = torchvision.datasets.ImageFolder(os.path.join(args.data, "train"), probe_aug)
    val_set = torchvision.datasets.ImageFolder(os.path.join(args.data, "val"), plain)
    pretrain_loader = DataLoader(pretrain_set, batch_size=args.batch_size, shuffle=True, num_workers=8, pin_memory=True, drop_last=True)
    bank_loader = DataLoader(bank_set, batch_size=256, shuffle=False, num_workers=8)
    probe_loader = DataLoader(probe_set, batch_size=256, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=256, shuffle=False, num_workers=8)

    model = MoCo(args.arch, queue_size=args.queue).to(device)
    optimizer = torch.optim.SGD(model.query_parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    start = 0
    if args.resume:
        ckpt = torch.load(args.resume, map_location=device)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start = ckpt["epoch"]

    # ---------------- stage 1: contrastive pre-training ----------------
    model.train()
    for epoch in range(start, args.pretrain_epochs):
        lr = adjust_lr(optimizer, args.lr, epoch, args.pretrain_epochs)
        t0 = time.time()
        total, n = 0.0, 0
        for (im_q, im_k), _ in pretrain_loader:
            im_q, im_k = im_q.to(device, non_blocking=True), im_k.to(device, non_blocking=True)
            logits, labels = model(im_q, im_k)
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            n += 1
        msg = f"pretrain epoch {epoch} loss {total / max(1, n):.4f} lr {lr:.4f} ({time.time() - t0:.0f}s)"
        if (epoch + 1) % args.knn_every == 0:
            msg += f" knn@20 {knn_accuracy(model.encoder_q.backbone, bank_loader, val_loader, device):.2f}"
        logger.info(msg)
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch + 1},
                   os.path.join(args.out, "pretrain_last.pth"))

    # ---------------- stage 2: linear probe on the frozen backbone ----------------
    backbone = model.encoder_q.backbone
    backbone.eval()
    backbone.requires_grad_(False)
    classifier = nn.Linear(model.encoder_q.feat_dim, len(probe_set.classes)).to(device)
    nn.init.normal_(classifier.weight, std=0.01)
    nn.init.zeros_(classifier.bias)
    probe_opt = torch.optim.SGD(classifier.parameters(), lr=args.probe_lr, momentum=0.9, weight_decay=0.0)
    best = 0.0
    for epoch in range(args.probe_epochs):
        lr = adjust_lr(probe_opt, args.probe_lr, epoch, args.probe_epochs)
        classifier.train()
        for x, y in probe_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.no_grad():
                feats = backbone(x)
            loss = F.cross_entropy(classifier(feats), y)
            probe_opt.zero_grad()
            loss.backward()
            probe_opt.step()
        acc = probe_accuracy(backbone, classifier, val_loader, device)
        best = max(best, acc)
        logger.info("probe epoch %d: top1 %.2f (best %.2f) lr %.3f", epoch, acc, best, lr)
    torch.save({"backbone": backbone.state_dict(), "classifier": classifier.state_dict(), "top1": best},
               os.path.join(args.out, "linear_probe.pth"))


if __name__ == "__main__":
    main()
