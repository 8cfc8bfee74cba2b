"""Triplet network for person re-identification (Market-1501 layout).

anchor / positive / negative go through one shared ResNet-50 embedding net.
Retrieval is evaluated with rank-1 / mAP on query vs gallery.
"""
import argparse
import os
import random
from collections import defaultdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import models, transforms


def parse_pid(fname):
    return int(os.path.basename(fname).split("_")[0])


class TripletReID(Dataset):
    def __init__(self, root, transform):
        self.files = [os.path.join(root, f) for f in sorted(os.listdir(root)) if f.endswith(".jpg")]
        self.by_pid = defaultdict(list)
        for f in self.files:
            self.by_pid[parse_pid(f)].append(f)
        self.pids = [p for p, fs in self.by_pid.items() if len(fs) > 1]
        self.transform = transform

    def __len__(self):
        return len(self.files)

    def _load(self, path):
        return self.transform(Image.open(path).convert("RGB"))

    def __getitem__(self, idx):
        pid = random.choice(self.pids)
        a, p = random.sample(self.by_pid[pid], 2)
        neg_pid = random.choice([q for q in self.pids if q != pid])
        n = random.choice(self.by_pid[neg_pid])
        return self._load(a), self._load(p), self._load(n)


class ImageList(Dataset):
    def __init__(self, root, transform):
        self.files = [os.path.join(root, f) for f in sorted(os.listdir(root)) if f.endswith(".jpg")]
        self.transform = transform

    def __len__(self):
        return len(self.files)

    def __getitem__(self, idx):
        f = self.files[idx]
        return self.transform(Image.open(f).convert("RGB")), parse_pid(f)


class EmbeddingNet(nn.Module):
    def __init__(self, dim=128):
        super().__init__()
        backbone = models.resnet50(weights=models.ResNet50_Weights.DEFAULT)
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.neck = nn.Sequential(nn.Linear(2048, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(inplace=True), nn.Linear(512, dim))

    def forward(self, x):
        return F.normalize(self.neck(self.backbone(x)), dim=1)


@torch.no_grad()
def compute_embeddings(net, loader, device):
    embs, pids = [], []
    for imgs, pid in loader:
        embs.append(net(imgs.to(device)).cpu())  # expect: BN101
        pids.append(pid)
    return torch.cat(embs), torch.cat(pids)


def evaluate_retrieval(net, query_loader, gallery_loader, device):
    q, q_pids = compute_embeddings(net, query_loader, device)
    g, g_pids = compute_embeddings(net, gallery_loader, device)
    dist = torch.cdist(q, g)
    order = dist.argsort(dim=1)
    matches = (g_pids[order] == q_pids[:, None]).float()
    rank1 = matches[:, 0].mean().item()
    aps = []
    for row in matches:
        hits = row.nonzero().flatten()
        if hits.numel() == 0:
            continue
        precision = torch.arange(1, hits.numel() + 1, dtype=torch.float) / (hits.float() + 1)
        aps.append(precision.mean().item())
    return rank1, float(np.mean(aps))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="data/Market-1501")
    parser.add_argument("--batch-size", type=int, default=4, help="triplets per batch (GPU has 6GB)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--margin", type=float, default=0.3)
    parser.add_argument("--lr", type=float, default=3e-4)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_tf = transforms.Compose([transforms.Resize((256, 128)), transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                   transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    test_tf = transforms.Compose([transforms.Resize((256, 128)), transforms.ToTensor(),
                                  transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

    train_set = TripletReID(os.path.join(args.root, "bounding_box_train"), train_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=4)  # expect: BN301
    query_loader = DataLoader(ImageList(os.path.join(args.root, "query"), test_tf), batch_size=64, num_workers=4)
    gallery_loader = DataLoader(ImageList(os.path.join(args.root, "bounding_box_test"), test_tf), batch_size=64, num_workers=4)

    net = EmbeddingNet().to(device)
    criterion = nn.TripletMarginLoss(margin=args.margin)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr, weight_decay=5e-4)

    for epoch in range(args.epochs):
        net.train()
        running = 0.0
        for anchor, pos, neg in train_loader:
            ea = net(anchor.to(device))
            ep = net(pos.to(device))
            en = net(neg.to(device))
            loss = criterion(ea, ep, en)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        rank1, mAP = evaluate_retrieval(net, query_loader, gallery_loader, device)
        print(f"epoch {epoch}: triplet loss {running / len(train_loader):.4f}  rank-1 {rank1:.3f}  mAP {mAP:.3f}")
        torch.save(net.state_dict(), "triplet_reid_r50.pth")


if __name__ == "__main__":
    main()
