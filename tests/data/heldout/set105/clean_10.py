"""Frozen-feature baseline: ResNet-50 penultimate features + logistic regression.

Step 1 extracts pooled features once with the network in eval mode and caches
them to .npz; step 2 fits scikit-learn's LogisticRegression with a small C
sweep on the cached features.
"""
import argparse
import os

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import resnet50, ResNet50_Weights
from torchvision.models.feature_extraction import create_feature_extractor


def build_extractor(device):
    weights = ResNet50_Weights.IMAGENET1K_V2
    model = resnet50(weights=weights)
    model.requires_grad_(False)
    model.eval()
    extractor = create_feature_extractor(model, return_nodes={"avgpool": "feat"})
    extractor.eval()
    return extractor.to(device), weights.transforms()


@torch.inference_mode()
def extract(extractor, loader, device):
    feats, labels = [], []
    for i, (x, y) in enumerate(loader):
        f = extractor(x.to(device, non_blocking=True))["feat"].flatten(1)
        feats.append(f.cpu().numpy())
        labels.append(y.numpy())
        if i % 20 == 0:
            print(f"  batch {i}/{len(loader)}")
    return np.concatenate(feats), np.concatenate(labels)


def cached_features(name, extractor, loader, device, cache_dir):
    path = os.path.join(cache_dir, f"{name}.npz")
    if os.path.exists(path):
        d = np.load(path)
        return d["x"], d["y"]
    x, y = extract(extractor, loader, device)
    np.savez_compressed(path, x=x, y=y)
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="./data/caltech101_split")
    ap.add_argument("--cache", default="./feature_cache")
    ap.add_argument("--batch-size", type=int, default=1)
    args = ap.parse_args()
    os.makedirs(args.cache, exist_ok=True)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    extractor, preprocess = build_extractor(device)
    tf = transforms.Compose([transforms.Lambda(lambda im: im.convert("RGB")), preprocess])

    splits = {}
    for split in ("train", "test"):
        ds = datasets.ImageFolder(os.path.join(args.root, split), tf)
        loader = DataLoader(ds, batch_size=args.batch_size, shuffle=False, num_workers=4)
        splits[split] = cached_features(split, extractor, loader, device, args.cache)

    xtr, ytr = splits["train"]
    xte, yte = splits["test"]
    scaler = StandardScaler().fit(xtr)
    xtr, xte = scaler.transform(xtr), scaler.transform(xte)

    best = (0.0, None)
    for c in (0.01, 0.1, 1.0):
        clf = LogisticRegression(C=c, max_iter=2000, n_jobs=-1)
        clf.fit(xtr, ytr)
        acc = clf.score(xte, yte)
        print(f"C={c}: test acc {acc:.4f}")
        if acc > best[0]:
            best = (acc, c)
    print(f"best C={best[1]} acc={best[0]:.4f}")


if __name__ == "__main__":
    main()
