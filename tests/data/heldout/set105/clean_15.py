"""CheXNet-style DenseNet-121 fine-tuning on ChestX-ray14 (multi-label).

Validation runs every ``--val-every`` iterations *inside* the batch loop; the
``evaluating`` context manager restores whatever mode the model had before.
"""
import argparse
import contextlib
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from PIL import Image
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, Dataset
from torchvision import models, transforms

PATHOLOGIES = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
               "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia"]


@contextlib.contextmanager
def evaluating(net):
    """Temporarily switch to eval mode."""
    istrain = net.training
    try:
        net.eval()
        yield net
    finally:
        if istrain:
            net.train()


class CXR(Dataset):
    def __init__(self, csv, img_dir, tf):
        self.df = pd.read_csv(csv)
        self.img_dir, self.tf = img_dir, tf

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        img = Image.open(os.path.join(self.img_dir, row["Image Index"])).convert("RGB")
        labels = torch.tensor([float(p in row["Finding Labels"].split("|")) for p in PATHOLOGIES])
        return self.tf(img), labels


def mean_auc(model, loader, device):
    scores, targets = [], []
    with evaluating(model), torch.no_grad():
        for x, y in loader:
            scores.append(torch.sigmoid(model(x.to(device))).cpu().numpy())
            targets.append(y.numpy())
    scores, targets = np.concatenate(scores), np.concatenate(targets)
    aucs = [roc_auc_score(targets[:, k], scores[:, k]) for k in range(len(PATHOLOGIES)) if targets[:, k].any()]
    return float(np.mean(aucs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/data/chestxray14")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--bs", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--val-every", type=int, default=2000)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.Resize(256), transforms.RandomResizedCrop(224, scale=(0.8, 1.0)), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
    val_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm])
    img_dir = os.path.join(args.root, "images")
    train_loader = DataLoader(CXR(os.path.join(args.root, "train.csv"), img_dir, train_tf), batch_size=args.bs, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(CXR(os.path.join(args.root, "val.csv"), img_dir, val_tf), batch_size=64, num_workers=8)

    model = models.densenet121(weights=models.DenseNet121_Weights.IMAGENET1K_V1)
    model.classifier = nn.Linear(model.classifier.in_features, len(PATHOLOGIES))
    model = model.to(device)

    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999))
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=1, mode="max")
    criterion = nn.BCEWithLogitsLoss()

    best, step = 0.0, 0
    model.train()
    for epoch in range(args.epochs):
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1

            if step % args.val_every == 0:
                auc = mean_auc(model, val_loader, device)
                scheduler.step(auc)
                print(f"step {step} (epoch {epoch}) loss {loss.item():.4f} val mAUC {auc:.4f}")
                if auc > best:
                    best = auc
                    torch.save(model.state_dict(), "chexnet_best.pth")
    print("best val mAUC", best)


if __name__ == "__main__":
    main()
