# Google Landmark / Shopee-style metric learning: timm backbone + GeM + BN-neck + ArcFace
# training (k-fold) and fold-ensemble embedding extraction with flip TTA.
import math
import os
import random

import albumentations as A
import cv2
import numpy as np
import pandas as pd
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from albumentations.pytorch import ToTensorV2
from sklearn.model_selection import GroupKFold
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm


class CFG:
    debug = False
    model_name = "eca_nfnet_l0"
    img_size = 512
    n_classes = 11014
    fc_dim = 512
    margin = 0.5
    scale = 30.0
    epochs = 15
    batch_size = 16
    lr = 1e-3
    n_folds = 4
    seed = 42
    train_dir = "../input/shopee-product-matching/train_images"
    test_dir = "../input/shopee-product-matching/test_images"
    device = "cuda"


def seed_everything(seed):
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = True


def gem(x, p=3, eps=1e-6):
    return F.avg_pool2d(x.clamp(min=eps).pow(p), (x.size(-2), x.size(-1))).pow(1.0 / p)


class GeM(nn.Module):
    def __init__(self, p=3, eps=1e-6):
        super().__init__()
        self.p = nn.Parameter(torch.ones(1) * p)
        self.eps = eps

    def forward(self, x):
        return gem(x, p=self.p, eps=self.eps)


class ArcMarginProduct(nn.Module):
    def __init__(self, in_features, out_features, scale=30.0, margin=0.50):
        super().__init__()
        self.scale = scale
        self.weight = nn.Parameter(torch.FloatTensor(out_features, in_features))
        nn.init.xavier_uniform_(self.weight)
        self.cos_m, self.sin_m = math.cos(margin), math.sin(margin)
        self.th = math.cos(math.pi - margin)
        self.mm = math.sin(math.pi - margin) * margin

    def forward(self, x, label):
        cosine = F.linear(F.normalize(x), F.normalize(self.weight))
        sine = torch.sqrt((1.0 - cosine ** 2).clamp(0, 1))
        phi = cosine * self.cos_m - sine * self.sin_m
        phi = torch.where(cosine > self.th, phi, cosine - self.mm)
        one_hot = F.one_hot(label, cosine.size(1)).float()
        return (one_hot * phi + (1.0 - one_hot) * cosine) * self.scale


class ShopeeModel(nn.Module):
    def __init__(self, cfg, pretrained=True):
        super().__init__()
        self.backbone = timm.create_model(cfg.model_name, pretrained=pretrained, num_classes=0, global_pool="")
        in_features = self.backbone.num_features
        self.pooling = GeM()
        self.dropout = nn.Dropout(p=0.1)
        self.fc = nn.Linear(in_features, cfg.fc_dim, bias=False)
        self.bn = nn.BatchNorm1d(cfg.fc_dim)
        self.arc = ArcMarginProduct(cfg.fc_dim, cfg.n_classes, scale=cfg.scale, margin=cfg.margin)
        nn.init.xavier_normal_(self.fc.weight)
        nn.init.constant_(self.bn.weight, 1)
        nn.init.constant_(self.bn.bias, 0)

    def extract_feat(self, x):
        x = self.pooling(self.backbone(x)).flatten(1)
        x = self.dropout(x)
        x = self.fc(x)
        return self.bn(x)

    def forward(self, image, label=None):
        feat = self.extract_feat(image)
        if label is None:
            return feat
        return self.arc(feat, label)


def get_model(cfg, pretrained=True):
    return ShopeeModel(cfg, pretrained=pretrained)


class ShopeeDataset(Dataset):
    def __init__(self, df, img_dir, transforms, with_label=True):
        self.paths = [os.path.join(img_dir, p) for p in df.image.values]
        self.labels = df.label_group.values if with_label else None
        self.transforms = transforms

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        img = cv2.cvtColor(cv2.imread(self.paths[i]), cv2.COLOR_BGR2RGB)
        img = self.transforms(image=img)["image"]
        if self.labels is None:
            return img
        return img, torch.tensor(self.labels[i])


def get_transforms(train):
    aug = [A.Resize(CFG.img_size, CFG.img_size)]
    if train:
        aug += [A.HorizontalFlip(p=0.5), A.RandomBrightnessContrast(p=0.5), A.ShiftScaleRotate(p=0.5)]
    aug += [A.Normalize(), ToTensorV2()]
    return A.Compose(aug)


def train_fn(model, loader, optimizer, scheduler, epoch):
    model.train()
    total = 0.0
    bar = tqdm(loader, desc=f"train {epoch}")
    for images, labels in bar:
        images, labels = images.to(CFG.device), labels.to(CFG.device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images, labels), labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
        bar.set_postfix(loss=total / (bar.n + 1))
    scheduler.step()
    return total / len(loader)


def valid_fn(model, loader):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(CFG.device), labels.to(CFG.device)
            total += F.cross_entropy(model(images, labels), labels).item()
    return total / len(loader)


def inference_fn(model, loader):
    model.eval()
    feats = []
    with torch.no_grad():
        for images in tqdm(loader, desc="embed"):
            images = images.to(CFG.device)
            emb = model(images) + model(torch.flip(images, dims=[3]))
            feats.append(F.normalize(emb).cpu().numpy())
    return np.concatenate(feats)


def train_folds(df):
    gkf = GroupKFold(n_splits=CFG.n_folds)
    for fold, (trn_idx, val_idx) in enumerate(gkf.split(df, groups=df.label_group)):
        trn_loader = DataLoader(ShopeeDataset(df.iloc[trn_idx], CFG.train_dir, get_transforms(True)), batch_size=CFG.batch_size, shuffle=True, num_workers=4, drop_last=True)
        val_loader = DataLoader(ShopeeDataset(df.iloc[val_idx], CFG.train_dir, get_transforms(False)), batch_size=CFG.batch_size, shuffle=False, num_workers=4)
        model = get_model(CFG).to(CFG.device)
        optimizer = torch.optim.Adam(model.parameters(), lr=CFG.lr)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=CFG.epochs)
        best = np.inf
        for epoch in range(CFG.epochs):
            tr_loss = train_fn(model, trn_loader, optimizer, scheduler, epoch)
            va_loss = valid_fn(model, val_loader)
            print(f"fold {fold} epoch {epoch}: {tr_loss:.4f} / {va_loss:.4f}")
            if va_loss < best:
                best = va_loss
                torch.save(model.state_dict(), f"{CFG.model_name}_fold{fold}.pth")


def predict_test(test_df):
    loader = DataLoader(ShopeeDataset(test_df, CFG.test_dir, get_transforms(False), with_label=False), batch_size=CFG.batch_size * 4, shuffle=False, num_workers=4)
    embeddings = []
    for fold in range(CFG.n_folds):
        model = get_model(CFG, pretrained=False)
        model.load_state_dict(torch.load(f"{CFG.model_name}_fold{fold}.pth", map_location="cpu"))
        model.to(CFG.device)
        embeddings.append(inference_fn(model, loader))
    return np.concatenate(embeddings, axis=1)


if __name__ == "__main__":
    seed_everything(CFG.seed)
    train = pd.read_csv("../input/shopee-product-matching/train.csv")
    train["label_group"] = train.label_group.astype("category").cat.codes
    train_folds(train)
    test = pd.read_csv("../input/shopee-product-matching/test.csv")
    emb = predict_test(test)
    np.save("test_embeddings.npy", emb)
