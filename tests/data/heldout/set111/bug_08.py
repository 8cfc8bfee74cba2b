"""Plant Pathology 2021 - FGVC8: ResNet50 + BN-neck multilabel classifier.

Training recipe from our 2nd-stage solution write-up:
  * epochs 0..FREEZE_EPOCHS-1 : backbone frozen, only neck + head learn ("warm-up the head")
  * afterwards                 : everything is fine-tuned with a lower LR for the backbone
"""
import os
import random
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torchvision
from PIL import Image
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms as T

LABELS = ["complex", "frog_eye_leaf_spot", "healthy", "powdery_mildew", "rust", "scab"]


@dataclass
class Config:
    root: str = "../input/plant-pathology-2021-fgvc8"
    img_size: int = 384
    batch_size: int = 24
    epochs: int = 12
    freeze_epochs: int = 2
    lr_head: float = 1e-3
    lr_backbone: float = 1e-4
    n_folds: int = 5
    seed: int = 2021
    threshold: float = 0.4


cfg = Config()


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


class LeafDataset(Dataset):
    def __init__(self, df, root, tfm):
        self.paths = [os.path.join(root, "train_images", f) for f in df.image]
        self.targets = np.stack([df.labels.str.contains(l).values for l in LABELS], axis=1).astype(np.float32)
        self.tfm = tfm

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.tfm(Image.open(self.paths[i]).convert("RGB")), self.targets[i]


class LeafNet(nn.Module):
    def __init__(self, n_classes=len(LABELS)):
        super().__init__()
        resnet = torchvision.models.resnet50(weights=torchvision.models.ResNet50_Weights.IMAGENET1K_V2)
        self.backbone = nn.Sequential(*list(resnet.children())[:-2])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.neck = nn.Sequential(
            nn.Flatten(),
            nn.Linear(2048, 512, bias=False),
            nn.BatchNorm1d(512, momentum=0.9),  # expect: BN205
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
        )
        self.head = nn.Linear(512, n_classes)

    def forward(self, x):
        return self.head(self.neck(self.pool(self.backbone(x))))


def train_fn(model, loader, optimizer, criterion, device):
    model.train()
    total = 0.0
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


@torch.no_grad()
def valid_fn(model, loader, device):
    model.eval()
    preds, trues = [], []
    for images, targets in loader:
        preds.append(torch.sigmoid(model(images.to(device))).cpu().numpy())
        trues.append(targets.numpy())
    preds = np.concatenate(preds) > cfg.threshold
    return f1_score(np.concatenate(trues), preds, average="samples")


def set_backbone_trainable(model, trainable):
    for p in model.backbone.parameters():
        p.requires_grad = trainable


def run_fold(fold, df, device):
    train_tfm = T.Compose([T.RandomResizedCrop(cfg.img_size, scale=(0.6, 1.0)), T.RandomHorizontalFlip(), T.ColorJitter(0.2, 0.2, 0.2), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    valid_tfm = T.Compose([T.Resize((cfg.img_size, cfg.img_size)), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    trn = df[df.fold != fold]
    val = df[df.fold == fold]
    train_loader = DataLoader(LeafDataset(trn, cfg.root, train_tfm), batch_size=cfg.batch_size, shuffle=True, num_workers=4, drop_last=True)
    valid_loader = DataLoader(LeafDataset(val, cfg.root, valid_tfm), batch_size=cfg.batch_size * 2, shuffle=False, num_workers=4)

    model = LeafNet().to(device)
    optimizer = torch.optim.Adam([
        {"params": model.backbone.parameters(), "lr": cfg.lr_backbone},
        {"params": list(model.neck.parameters()) + list(model.head.parameters()), "lr": cfg.lr_head},
    ])
    criterion = nn.BCEWithLogitsLoss()

    for p in model.backbone.parameters():
        p.requires_grad = False  # expect: BN105

    best = 0.0
    for epoch in range(cfg.epochs):
        if epoch == cfg.freeze_epochs:
            set_backbone_trainable(model, True)
        loss = train_fn(model, train_loader, optimizer, criterion, device)
        f1 = valid_fn(model, valid_loader, device)
        print(f"fold {fold} epoch {epoch} loss {loss:.4f} f1 {f1:.4f}")
        if f1 > best:
            best = f1
            torch.save(model.state_dict(), f"leafnet_fold{fold}.pth")
    return best


if __name__ == "__main__":
    seed_everything(cfg.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    df = pd.read_csv(os.path.join(cfg.root, "train.csv"))
    df["fold"] = -1
    for f, (_, v) in enumerate(KFold(cfg.n_folds, shuffle=True, random_state=cfg.seed).split(df)):
        df.loc[v, "fold"] = f
    scores = [run_fold(fold, df, device) for fold in range(cfg.n_folds)]
    print("CV F1:", np.mean(scores))
