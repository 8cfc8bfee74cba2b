# Happywhale - ArcFace + GeM + EfficientNet (timm) training kernel
# ----------------------------------------------------------------
import gc
import math
import os
import random
import time

import albumentations as A
import cv2
import numpy as np
import pandas as pd
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from albumentations.pytorch import ToTensorV2
from sklearn.model_selection import StratifiedKFold
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm


class CFG:
    seed = 2022
    model_name = "tf_efficientnet_b0_ns"
    img_size = 448
    num_classes = 15587
    embedding_size = 512
    epochs = 10
    train_batch_size = 32
    valid_batch_size = 64
    learning_rate = 1e-4
    min_lr = 1e-6
    T_max = 500
    weight_decay = 1e-6
    n_fold = 5
    trn_folds = [0]
    s = 30.0
    m = 0.50
    ls_eps = 0.0
    easy_margin = False
    root = "../input/happy-whale-and-dolphin"
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


def seed_everything(seed=42):
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    os.environ["PYTHONHASHSEED"] = str(seed)


seed_everything(CFG.seed)

df = pd.read_csv(f"{CFG.root}/train.csv")
df["file_path"] = CFG.root + "/train_images/" + df["image"]
df["individual_id"] = df["individual_id"].astype("category").cat.codes

skf = StratifiedKFold(n_splits=CFG.n_fold)
for fold, (_, val_) in enumerate(skf.split(X=df, y=df.individual_id)):
    df.loc[val_, "kfold"] = fold


class HappyWhaleDataset(Dataset):
    def __init__(self, df, transforms=None):
        self.file_names = df["file_path"].values
        self.labels = df["individual_id"].values
        self.transforms = transforms

    def __len__(self):
        return len(self.file_names)

    def __getitem__(self, index):
        img = cv2.imread(self.file_names[index])
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        if self.transforms:
            img = self.transforms(image=img)["image"]
        return {"image": img, "label": torch.tensor(self.labels[index], dtype=torch.long)}


data_transforms = {
    "train": A.Compose([
        A.Resize(CFG.img_size, CFG.img_size),
        A.ShiftScaleRotate(shift_limit=0.1, scale_limit=0.15, rotate_limit=60, p=0.5),
        A.HueSaturationValue(hue_shift_limit=0.2, sat_shift_limit=0.2, val_shift_limit=0.2, p=0.5),
        A.RandomBrightnessContrast(brightness_limit=(-0.1, 0.1), contrast_limit=(-0.1, 0.1), p=0.5),
        A.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225], max_pixel_value=255.0, p=1.0),
        ToTensorV2(),
    ], p=1.0),
    "valid": A.Compose([
        A.Resize(CFG.img_size, CFG.img_size),
        A.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225], max_pixel_value=255.0, p=1.0),
        ToTensorV2(),
    ], p=1.0),
}


class GeM(nn.Module):
    def __init__(self, p=3, eps=1e-6):
        super(GeM, self).__init__()
        self.p = nn.Parameter(torch.ones(1) * p)
        self.eps = eps

    def forward(self, x):
        return F.avg_pool2d(x.clamp(min=self.eps).pow(self.p), (x.size(-2), x.size(-1))).pow(1.0 / self.p)


class ArcMarginProduct(nn.Module):
    def __init__(self, in_features, out_features, s=30.0, m=0.50, easy_margin=False, ls_eps=0.0):
        super(ArcMarginProduct, self).__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.s = s
        self.m = m
        self.ls_eps = ls_eps
        self.weight = nn.Parameter(torch.FloatTensor(out_features, in_features))
        nn.init.xavier_uniform_(self.weight)
        self.easy_margin = easy_margin
        self.cos_m = math.cos(m)
        self.sin_m = math.sin(m)
        self.th = math.cos(math.pi - m)
        self.mm = math.sin(math.pi - m) * m

    def forward(self, input, label):
        cosine = F.linear(F.normalize(input), F.normalize(self.weight))
        sine = torch.sqrt(1.0 - torch.pow(cosine, 2))
        phi = cosine * self.cos_m - sine * self.sin_m
        if self.easy_margin:
            phi = torch.where(cosine > 0, phi, cosine)
        else:
            phi = torch.where(cosine > self.th, phi, cosine - self.mm)
        one_hot = torch.zeros(cosine.size(), device=input.device)
        one_hot.scatter_(1, label.view(-1, 1).long(), 1)
        if self.ls_eps > 0:
            one_hot = (1 - self.ls_eps) * one_hot + self.ls_eps / self.out_features
        output = (one_hot * phi) + ((1.0 - one_hot) * cosine)
        return output * self.s


class HappyWhaleModel(nn.Module):
    def __init__(self, model_name, embedding_size, pretrained=True):
        super(HappyWhaleModel, self).__init__()
        self.model = timm.create_model(model_name, pretrained=pretrained)
        in_features = self.model.classifier.in_features
        self.model.classifier = nn.Identity()
        self.model.global_pool = nn.Identity()
        self.pooling = nn.Sequential(GeM(), nn.Flatten())
        self.bn_pool = nn.BatchNorm2d(in_features)  # expect: BN202
        self.neck = nn.Sequential(
            nn.Dropout(p=0.2),
            nn.Linear(in_features, embedding_size),  # expect: BN204
            nn.BatchNorm1d(embedding_size),
            nn.PReLU(),
        )
        self.fc = ArcMarginProduct(embedding_size, CFG.num_classes, s=CFG.s, m=CFG.m, easy_margin=CFG.easy_margin, ls_eps=CFG.ls_eps)

    def extract(self, images):
        features = self.model(images)
        pooled = self.pooling(features)
        pooled = self.bn_pool(pooled)
        return self.neck(pooled)

    def forward(self, images, labels):
        embedding = self.extract(images)
        return self.fc(embedding, labels)


def criterion(outputs, labels):
    return nn.CrossEntropyLoss()(outputs, labels)


def train_one_epoch(model, optimizer, scheduler, dataloader, device, epoch):
    model.train()
    dataset_size = 0
    running_loss = 0.0
    bar = tqdm(enumerate(dataloader), total=len(dataloader))
    for step, data in bar:
        images = data["image"].to(device, dtype=torch.float)
        labels = data["label"].to(device, dtype=torch.long)
        batch_size = images.size(0)

        outputs = model(images, labels)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if scheduler is not None:
            scheduler.step()

        running_loss += loss.item() * batch_size
        dataset_size += batch_size
        bar.set_postfix(Epoch=epoch, Train_Loss=running_loss / dataset_size, LR=optimizer.param_groups[0]["lr"])
    gc.collect()
    return running_loss / dataset_size


@torch.inference_mode()
def valid_one_epoch(model, dataloader, device, epoch):
    model.eval()
    dataset_size = 0
    running_loss = 0.0
    bar = tqdm(enumerate(dataloader), total=len(dataloader))
    for step, data in bar:
        images = data["image"].to(device, dtype=torch.float)
        labels = data["label"].to(device, dtype=torch.long)
        batch_size = images.size(0)
        outputs = model(images, labels)
        loss = criterion(outputs, labels)
        running_loss += loss.item() * batch_size
        dataset_size += batch_size
        bar.set_postfix(Epoch=epoch, Valid_Loss=running_loss / dataset_size)
    gc.collect()
    return running_loss / dataset_size


def run_training(model, optimizer, scheduler, train_loader, valid_loader, device, num_epochs, fold):
    best_epoch_loss = np.inf
    start = time.time()
    for epoch in range(1, num_epochs + 1):
        gc.collect()
        train_epoch_loss = train_one_epoch(model, optimizer, scheduler, train_loader, device, epoch)
        val_epoch_loss = valid_one_epoch(model, valid_loader, device, epoch)
        print(f"[fold {fold}] epoch {epoch}: train {train_epoch_loss:.4f} valid {val_epoch_loss:.4f}")
        if val_epoch_loss <= best_epoch_loss:
            best_epoch_loss = val_epoch_loss
            torch.save(model.state_dict(), f"Loss{best_epoch_loss:.4f}_fold{fold}_epoch{epoch}.bin")
    print(f"Training complete in {(time.time() - start) / 3600:.2f}h, best loss {best_epoch_loss:.4f}")
    return model


def prepare_loaders(df, fold):
    df_train = df[df.kfold != fold].reset_index(drop=True)
    df_valid = df[df.kfold == fold].reset_index(drop=True)
    train_dataset = HappyWhaleDataset(df_train, transforms=data_transforms["train"])
    valid_dataset = HappyWhaleDataset(df_valid, transforms=data_transforms["valid"])
    train_loader = DataLoader(train_dataset, batch_size=CFG.train_batch_size, num_workers=2, shuffle=True, pin_memory=True, drop_last=True)
    valid_loader = DataLoader(valid_dataset, batch_size=CFG.valid_batch_size, num_workers=2, shuffle=False, pin_memory=True)
    return train_loader, valid_loader


for fold in range(CFG.n_fold):
    if fold not in CFG.trn_folds:
        continue
    model = HappyWhaleModel(CFG.model_name, CFG.embedding_size).to(CFG.device)
    train_loader, valid_loader = prepare_loaders(df, fold=fold)
    optimizer = torch.optim.Adam(model.parameters(), lr=CFG.learning_rate, weight_decay=CFG.weight_decay)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=CFG.T_max, eta_min=CFG.min_lr)
    model = run_training(model, optimizer, scheduler, train_loader, valid_loader, CFG.device, CFG.epochs, fold)
    del model, train_loader, valid_loader
    gc.collect()
