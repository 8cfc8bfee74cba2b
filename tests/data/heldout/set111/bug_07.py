# [Inference] PetFinder Pawpularity: timm backbone + BN neck, 5 folds x hflip TTA
import gc
import os

import albumentations as A
import cv2
import numpy as np
import pandas as pd
import timm
import torch
from albumentations.pytorch import ToTensorV2
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm


class CFG:
    model_name = "swin_base_patch4_window7_224"
    img_size = 224
    n_folds = 5
    batch_size = 64
    num_workers = 2
    neck_dim = 256
    model_dir = "../input/pawpular-swin-5fold"
    data_dir = "../input/petfinder-pawpularity-score"
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class TestDataset(Dataset):
    def __init__(self, df, transform):
        self.paths = df["Id"].map(lambda x: f"{CFG.data_dir}/test/{x}.jpg").values
        self.dense = df.drop(columns=["Id"]).values.astype(np.float32)
        self.transform = transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        img = cv2.cvtColor(cv2.imread(self.paths[i]), cv2.COLOR_BGR2RGB)
        img = self.transform(image=img)["image"]
        return img, torch.from_numpy(self.dense[i])


def get_transform():
    return A.Compose([
        A.Resize(CFG.img_size, CFG.img_size),
        A.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
        ToTensorV2(),
    ])


class PawpularModel(nn.Module):
    def __init__(self, cfg, pretrained=False):
        super().__init__()
        self.backbone = timm.create_model(cfg.model_name, pretrained=pretrained, num_classes=0)
        n_feat = self.backbone.num_features
        self.neck = nn.Sequential(
            nn.Linear(n_feat + 12, cfg.neck_dim, bias=False),
            nn.BatchNorm1d(cfg.neck_dim),
            nn.ReLU(inplace=True),
            nn.Dropout(0.1),
        )
        self.head = nn.Linear(cfg.neck_dim, 1)

    def forward(self, image, dense):
        feats = self.backbone(image)
        x = torch.cat([feats, dense], dim=1)
        return self.head(self.neck(x))


def get_model(cfg):
    return PawpularModel(cfg, pretrained=False)


def predict_fold(model, loader):
    preds = []
    model.eval  # expect: BN102
    with torch.no_grad():
        for images, dense in tqdm(loader):
            images, dense = images.to(CFG.device), dense.to(CFG.device)
            logits = (model(images, dense) + model(images.flip(-1), dense)) / 2  # expect: BN101
            preds.append(torch.sigmoid(logits).squeeze(1).cpu().numpy() * 100)
    return np.concatenate(preds)


if __name__ == "__main__":
    test = pd.read_csv(f"{CFG.data_dir}/test.csv")
    loader = DataLoader(TestDataset(test, get_transform()), batch_size=CFG.batch_size, shuffle=False, num_workers=CFG.num_workers)

    fold_preds = []
    for fold in range(CFG.n_folds):
        model = get_model(CFG)
        state = torch.load(os.path.join(CFG.model_dir, f"{CFG.model_name}_fold{fold}_best.pth"), map_location="cpu")
        model.load_state_dict(state["model"])
        model.to(CFG.device)
        fold_preds.append(predict_fold(model, loader))
        del model, state
        gc.collect()
        torch.cuda.empty_cache()

    test["Pawpularity"] = np.mean(fold_preds, axis=0)
    test[["Id", "Pawpularity"]].to_csv("submission.csv", index=False)
