#!/usr/bin/env python
# Shopee / product-category competition: round-2 pseudo-labelling.
# 1) the 5 round-1 fold models label the public test set (soft labels, confidence > THR)
# 2) a fresh student is trained on train + pseudo-labelled test
import os
import random

import numpy as np
import pandas as pd
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import ConcatDataset, DataLoader, Dataset
from torchvision import transforms

SEED = 42
N_FOLDS = 5
NUM_CLASSES = 42
THR = 0.9
BATCH_SIZE = 32
EPOCHS = 6
EMB_DIM = 512
ROOT = "../input/shopee-product-detection-student"
R1_DIR = "../input/shopee-r1-effnetb4"
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed=SEED):
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)


class ProductNet(nn.Module):
    def __init__(self, backbone="tf_efficientnet_b4_ns", emb_dim=EMB_DIM, n_classes=NUM_CLASSES, pretrained=True):
        super().__init__()
        self.backbone = timm.create_model(backbone, pretrained=pretrained, num_classes=0)
        self.fc_emb = nn.Linear(self.backbone.num_features, emb_dim, bias=False)
        self.bn_emb = nn.BatchNorm1d(emb_dim, emb_dim)  # expect: BN206
        self.classifier = nn.Linear(emb_dim, n_classes)

    def forward(self, x):
        x = self.bn_emb(self.fc_emb(self.backbone(x)))
        return self.classifier(F.dropout(x, 0.2, self.training))


def get_model(pretrained=True):
    return ProductNet(pretrained=pretrained)


class ImageDataset(Dataset):
    def __init__(self, paths, targets=None, tfm=None):
        self.paths = paths
        self.targets = targets
        self.tfm = tfm

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        img = self.tfm(Image.open(self.paths[i]).convert("RGB"))
        if self.targets is None:
            return img
        return img, torch.as_tensor(self.targets[i], dtype=torch.float32)


train_tfm = transforms.Compose([
    transforms.RandomResizedCrop(380, scale=(0.5, 1.0)),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])
test_tfm = transforms.Compose([
    transforms.Resize((380, 380)),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])


def make_pseudo_labels(test_df):
    loader = DataLoader(ImageDataset(test_df.path.values, tfm=test_tfm), batch_size=64, shuffle=False, num_workers=4)
    probs = np.zeros((len(test_df), NUM_CLASSES), dtype=np.float32)
    for fold in range(N_FOLDS):
        teacher = get_model(pretrained=False)
        teacher.load_state_dict(torch.load(f"{R1_DIR}/effb4_fold{fold}.pth", map_location="cpu"))
        teacher.to(DEVICE)
        fold_probs = []
        with torch.no_grad():
            for images in loader:
                fold_probs.append(teacher(images.to(DEVICE)).softmax(dim=1).cpu().numpy())  # expect: BN101
        probs += np.concatenate(fold_probs) / N_FOLDS
        del teacher
        torch.cuda.empty_cache()
    keep = probs.max(1) > THR
    print(f"pseudo-labelled {keep.sum()} / {len(test_df)} test images")
    return test_df[keep].reset_index(drop=True), probs[keep]


def soft_ce(logits, soft_targets):
    return torch.sum(-soft_targets * F.log_softmax(logits, dim=1), dim=1).mean()


def train_student(train_df, pseudo_df, pseudo_probs):
    onehot = np.eye(NUM_CLASSES, dtype=np.float32)[train_df.category.values]
    ds = ConcatDataset([
        ImageDataset(train_df.path.values, onehot, train_tfm),
        ImageDataset(pseudo_df.path.values, pseudo_probs, train_tfm),
    ])
    loader = DataLoader(ds, batch_size=BATCH_SIZE, shuffle=True, num_workers=4, drop_last=True)
    student = get_model(pretrained=True).to(DEVICE)
    optimizer = torch.optim.AdamW(student.parameters(), lr=2e-4, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS * len(loader))
    student.train()
    for epoch in range(EPOCHS):
        for step, (images, targets) in enumerate(loader):
            images, targets = images.to(DEVICE), targets.to(DEVICE)
            loss = soft_ce(student(images), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            if step % 200 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        torch.save(student.state_dict(), f"student_ep{epoch}.pth")
    return student


if __name__ == "__main__":
    seed_everything()
    train_df = pd.read_csv(f"{ROOT}/train.csv")
    train_df["path"] = ROOT + "/train/" + train_df.category.astype(str).str.zfill(2) + "/" + train_df.filename
    test_df = pd.read_csv(f"{ROOT}/test.csv")
    test_df["path"] = ROOT + "/test/" + test_df.filename
    pseudo_df, pseudo_probs = make_pseudo_labels(test_df)
    train_student(train_df, pseudo_df, pseudo_probs)
