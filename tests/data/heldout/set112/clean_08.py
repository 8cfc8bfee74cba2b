"""Few-shot product retrieval: a triplet-trained embedding head on top of a
frozen ImageNet ResNet-50. The backbone is a fixed feature extractor (eval-mode
BatchNorm, no gradients); only the head learns.
"""
import argparse
import os
import random
from collections import defaultdict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision import datasets, models, transforms


class FrozenBackboneEmbedder(nn.Module):
    def __init__(self, emb_dim=256):
        super().__init__()
        resnet = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
        resnet.fc = nn.Identity()
        self.backbone = resnet
        self.backbone.requires_grad_(False)
        self.backbone.eval()
        self.head = nn.Sequential(
            nn.Linear(2048, 1024, bias=False),
            nn.BatchNorm1d(1024),
            nn.ReLU(inplace=True),
            nn.Linear(1024, emb_dim),
        )

    def train(self, mode=True):
        # nn.Module.train() recurses into children; keep the frozen backbone in eval.
        super().train(mode)
        self.backbone.eval()
        return self

    def forward(self, x):
        with torch.no_grad():
            feats = self.backbone(x)
        return F.normalize(self.head(feats), dim=-1)


class TripletFolder(Dataset):
    """Samples (anchor, positive, negative) from an ImageFolder."""

    def __init__(self, folder: datasets.ImageFolder, length=20000):
        self.folder = folder
        self.length = length
        self.by_class = defaultdict(list)
        for idx, (_, c) in enumerate(folder.samples):
            self.by_class[c].append(idx)
        self.classes = [c for c, v in self.by_class.items() if len(v) >= 2]

    def __len__(self):
        return self.length

    def __getitem__(self, _):
        c_pos, c_neg = random.sample(self.classes, 2)
        i_a, i_p = random.sample(self.by_class[c_pos], 2)
        i_n = random.choice(self.by_class[c_neg])
        return self.folder[i_a][0], self.folder[i_p][0], self.folder[i_n][0]


@torch.no_grad()
def embed_all(model, loader, device):
    model.eval()
    out, labels = [], []
    for x, y in loader:
        out.append(model(x.to(device)).cpu())
        labels.append(y)
    return torch.cat(out), torch.cat(labels)


def recall_at_k(emb, labels, k=1):
    sim = emb @ emb.T
    sim.fill_diagonal_(-2.0)
    nn_idx = sim.topk(k, dim=1).indices
    return (labels[nn_idx] == labels[:, None]).any(dim=1).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-dir", default="data/products/train")
    ap.add_argument("--test-dir", default="data/products/test")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=48)
    ap.add_argument("--margin", type=float, default=0.2)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224, scale=(0.5, 1.0)), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm])

    triplets = TripletFolder(datasets.ImageFolder(args.train_dir, train_tf))
    train_loader = DataLoader(triplets, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    test_loader = DataLoader(datasets.ImageFolder(args.test_dir, test_tf), batch_size=128, num_workers=8)

    model = FrozenBackboneEmbedder().to(device)
    optimizer = torch.optim.AdamW(model.head.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = nn.TripletMarginLoss(margin=args.margin)

    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for a, p, n in train_loader:
            a, p, n = a.to(device), p.to(device), n.to(device)
            loss = loss_fn(model(a), model(p), model(n))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        emb, labels = embed_all(model, test_loader, device)
        print(f"epoch {epoch}: loss {running / len(train_loader):.4f}  R@1 {recall_at_k(emb, labels, 1):.3f}  R@5 {recall_at_k(emb, labels, 5):.3f}")
        torch.save(model.head.state_dict(), os.path.join("checkpoints", "triplet_head.pt"))


if __name__ == "__main__":
    os.makedirs("checkpoints", exist_ok=True)
    main()
