# ====================================================
# Cassava leaf disease - 5 fold tf_efficientnet_b3_ns + hflip/vflip TTA
# ====================================================
import os
import gc
import random

import cv2
import numpy as np
import pandas as pd
import timm
import torch
import torch.nn as nn
import albumentations as A
from albumentations.pytorch import ToTensorV2
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

CFG = {
    "model_name": "tf_efficientnet_b3_ns",
    "img_size": 512,
    "n_folds": 5,
    "epochs": 10,
    "train_bs": 4,
    "valid_bs": 16,
    "lr": 1e-4,
    "min_lr": 1e-6,
    "weight_decay": 1e-6,
    "num_workers": 4,
    "seed": 719,
    "target_size": 5,
}
TRAIN_DIR = "../input/cassava-leaf-disease-classification/train_images"
TEST_DIR = "../input/cassava-leaf-disease-classification/test_images"
OUTPUT_DIR = "./"
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed):
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)
    torch.backends.cudnn.deterministic = True


class LeafDataset(Dataset):
    def __init__(self, df, root, transforms=None, labels=True):
        self.paths = [os.path.join(root, f) for f in df["image_id"].values]
        self.labels = df["label"].values if labels else None
        self.transforms = transforms

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, idx):
        img = cv2.cvtColor(cv2.imread(self.paths[idx]), cv2.COLOR_BGR2RGB)
        if self.transforms:
            img = self.transforms(image=img)["image"]
        if self.labels is None:
            return img
        return img, torch.tensor(self.labels[idx]).long()


def get_transforms(train):
    norm = A.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    if train:
        return A.Compose([
            A.RandomResizedCrop(CFG["img_size"], CFG["img_size"]),
            A.HorizontalFlip(p=0.5), A.VerticalFlip(p=0.5),
            A.ShiftScaleRotate(p=0.5),
            A.HueSaturationValue(0.2, 0.2, 0.2, p=0.5),
            norm, ToTensorV2(),
        ])
    return A.Compose([A.Resize(CFG["img_size"], CFG["img_size"]), norm, ToTensorV2()])


class LeafNet(nn.Module):
    def __init__(self, model_name, n_classes, pretrained=True):
        super().__init__()
        self.backbone = timm.create_model(model_name, pretrained=pretrained, num_classes=0)
        n_feat = self.backbone.num_features
        self.head = nn.Sequential(
            nn.Dropout(0.3),
            nn.Linear(n_feat, 512, bias=False),
            nn.BatchNorm1d(512, momentum=0.99),  # expect: BN205
            nn.SiLU(),
            nn.Linear(512, n_classes),
        )

    def forward(self, x):
        return self.head(self.backbone(x))


def train_one_epoch(model, loader, optimizer, scheduler, scaler, criterion):
    losses = []
    pbar = tqdm(loader, total=len(loader))
    for imgs, labels in pbar:
        imgs, labels = imgs.to(device), labels.to(device)
        with torch.cuda.amp.autocast():
            preds = model(imgs)
            loss = criterion(preds, labels)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
        losses.append(loss.item())
        pbar.set_description(f"loss {np.mean(losses):.4f}")
    scheduler.step()
    return np.mean(losses)


def valid_one_epoch(model, loader, criterion):
    model.eval()
    losses, all_preds = [], []
    with torch.no_grad():
        for imgs, labels in loader:
            imgs, labels = imgs.to(device), labels.to(device)
            preds = model(imgs)
            losses.append(criterion(preds, labels).item())
            all_preds.append(preds.softmax(1).cpu().numpy())
    return np.mean(losses), np.concatenate(all_preds)


def run_fold(fold, folds):
    trn_df = folds[folds.fold != fold].reset_index(drop=True)
    val_df = folds[folds.fold == fold].reset_index(drop=True)
    train_loader = DataLoader(LeafDataset(trn_df, TRAIN_DIR, get_transforms(True)), batch_size=CFG["train_bs"], shuffle=True, num_workers=CFG["num_workers"], pin_memory=True, drop_last=True)  # expect: BN301
    valid_loader = DataLoader(LeafDataset(val_df, TRAIN_DIR, get_transforms(False)),
                              batch_size=CFG["valid_bs"], shuffle=False, num_workers=CFG["num_workers"])

    model = LeafNet(CFG["model_name"], CFG["target_size"]).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=CFG["lr"], weight_decay=CFG["weight_decay"])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=CFG["epochs"], eta_min=CFG["min_lr"])
    scaler = torch.cuda.amp.GradScaler()
    criterion = nn.CrossEntropyLoss()

    best_acc = 0.0
    for epoch in range(CFG["epochs"]):
        trn_loss = train_one_epoch(model, train_loader, optimizer, scheduler, scaler, criterion)
        val_loss, val_preds = valid_one_epoch(model, valid_loader, criterion)  # expect: BN103
        acc = accuracy_score(val_df["label"].values, val_preds.argmax(1))
        print(f"fold {fold} ep {epoch} trn {trn_loss:.4f} val {val_loss:.4f} acc {acc:.4f}")
        if acc > best_acc:
            best_acc = acc
            torch.save(model.state_dict(), f"{OUTPUT_DIR}{CFG['model_name']}_fold{fold}_best.pth")
    del model, optimizer, train_loader, valid_loader
    gc.collect()
    torch.cuda.empty_cache()
    return best_acc


def inference(test_df):
    loader = DataLoader(LeafDataset(test_df, TEST_DIR, get_transforms(False), labels=False),
                        batch_size=CFG["valid_bs"], shuffle=False, num_workers=CFG["num_workers"])
    model = LeafNet(CFG["model_name"], CFG["target_size"], pretrained=False).to(device)
    fold_probs = []
    for fold in range(CFG["n_folds"]):
        model.load_state_dict(torch.load(f"{OUTPUT_DIR}{CFG['model_name']}_fold{fold}_best.pth"))
        model.eval()
        probs = []
        with torch.no_grad():
            for imgs in tqdm(loader):
                imgs = imgs.to(device)
                p = model(imgs).softmax(1)
                p += model(imgs.flip(-1)).softmax(1)
                p += model(imgs.flip(-2)).softmax(1)
                probs.append((p / 3).cpu().numpy())
        fold_probs.append(np.concatenate(probs))
    return np.mean(fold_probs, axis=0)


if __name__ == "__main__":
    seed_everything(CFG["seed"])
    train = pd.read_csv("../input/cassava-leaf-disease-classification/train.csv")
    folds = train.copy()
    skf = StratifiedKFold(n_splits=CFG["n_folds"], shuffle=True, random_state=CFG["seed"])
    for n, (_, val_idx) in enumerate(skf.split(folds, folds["label"])):
        folds.loc[val_idx, "fold"] = n
    folds["fold"] = folds["fold"].astype(int)

    scores = [run_fold(f, folds) for f in range(CFG["n_folds"])]
    print("CV:", np.mean(scores), scores)

    test = pd.DataFrame({"image_id": sorted(os.listdir(TEST_DIR))})
    test["label"] = inference(test).argmax(1)
    test[["image_id", "label"]].to_csv("submission.csv", index=False)
