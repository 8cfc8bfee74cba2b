"""Extract penultimate-layer features with a frozen DenseNet-121 and fit a logistic-regression probe.

Images have very different sizes (microscopy scans), so extraction runs one image at a time
at native resolution with global average pooling.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, classification_report
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms


def get_backbone(device):
    net = models.densenet121(weights=models.DenseNet121_Weights.IMAGENET1K_V1)
    net.requires_grad_(False)
    net.eval()
    return net.features.to(device)


@torch.inference_mode()
def extract(features, loader, device, amp=True):
    feats, labels = [], []
    for i, (x, y) in enumerate(loader):
        with torch.autocast(device_type=device.type, enabled=amp and device.type == "cuda"):
            fmap = F.relu(features(x.to(device)))
        feats.append(F.adaptive_avg_pool2d(fmap, 1).flatten(1).float().cpu())
        labels.append(y)
        if i % 200 == 0:
            print(f"  {i}/{len(loader)}")
    return torch.cat(feats).numpy(), torch.cat(labels).numpy()


def cached(path, fn):
    if os.path.exists(path):
        d = np.load(path)
        return d["X"], d["y"]
    X, y = fn()
    np.savez_compressed(path, X=X, y=y)
    return X, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/cells")
    ap.add_argument("--cache", default="cache")
    ap.add_argument("--C", type=float, default=0.5)
    args = ap.parse_args()
    os.makedirs(args.cache, exist_ok=True)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    train_ds = datasets.ImageFolder(os.path.join(args.root, "train"), tf)
    test_ds = datasets.ImageFolder(os.path.join(args.root, "test"), tf)
    train_loader = DataLoader(train_ds, batch_size=1, shuffle=False, num_workers=4)
    test_loader = DataLoader(test_ds, batch_size=1, shuffle=False, num_workers=4)

    features = get_backbone(device)
    X_tr, y_tr = cached(os.path.join(args.cache, "train.npz"), lambda: extract(features, train_loader, device))
    X_te, y_te = cached(os.path.join(args.cache, "test.npz"), lambda: extract(features, test_loader, device))
    print("features:", X_tr.shape, X_te.shape)

    scaler = StandardScaler().fit(X_tr)
    clf = LogisticRegression(C=args.C, max_iter=5000, class_weight="balanced", n_jobs=-1)
    clf.fit(scaler.transform(X_tr), y_tr)
    pred = clf.predict(scaler.transform(X_te))
    print("balanced accuracy:", balanced_accuracy_score(y_te, pred))
    print(classification_report(y_te, pred, target_names=train_ds.classes, digits=3))


if __name__ == "__main__":
    main()
