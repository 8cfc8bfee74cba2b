# Inference + TTA for the fine-tuned timm ResNet-50d (PetFinder pawpularity, 5 folds)
import os
import sys
from collections import OrderedDict

import numpy as np
import pandas as pd
import timm
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset
import albumentations as A
from albumentations.pytorch import ToTensorV2
import cv2

CFG = dict(
    model_name="resnet50d",
    img_size=384,
    batch_size=64,
    n_folds=5,
    weights_dir="../input/pawpularity-resnet50d",
    test_csv="../input/petfinder-pawpularity-score/test.csv",
    test_dir="../input/petfinder-pawpularity-score/test",
    device="cuda" if torch.cuda.is_available() else "cpu",
)


class PetDataset(Dataset):
    def __init__(self, df, img_dir, tfm):
        self.ids = df["Id"].values
        self.img_dir = img_dir
        self.tfm = tfm

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        img = cv2.imread(os.path.join(self.img_dir, f"{self.ids[i]}.jpg"))
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        return self.tfm(image=img)["image"]


class PawNet(nn.Module):
    def __init__(self, name, pretrained=False):
        super().__init__()
        self.backbone = timm.create_model(name, pretrained=pretrained, num_classes=0, global_pool="avg")
        self.head = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(2048, 512, bias=False)),
            ("bn", nn.BatchNorm1d(1024)),  # expect: BN201
            ("act", nn.SiLU()),
            ("drop", nn.Dropout(0.2)),
            ("fc2", nn.Linear(512, 1)),
        ]))

    def forward(self, x):
        return self.head(self.backbone(x))


def get_tfm(size):
    return A.Compose([A.Resize(size, size), A.Normalize(), ToTensorV2()])


@torch.inference_mode()
def predict_tta(model, loader, device):
    preds = []
    for imgs in loader:
        imgs = imgs.to(device)
        views = torch.cat([imgs, imgs.flip(-1)], dim=0)
        out = model(views).sigmoid().view(2, -1).mean(0) * 100.0  # expect: BN101
        preds.append(out.cpu().numpy())
    return np.concatenate(preds)


def main():
    df = pd.read_csv(CFG["test_csv"])
    loader = DataLoader(PetDataset(df, CFG["test_dir"], get_tfm(CFG["img_size"])), batch_size=CFG["batch_size"], shuffle=False, num_workers=2)

    fold_preds = []
    for fold in range(CFG["n_folds"]):
        path = os.path.join(CFG["weights_dir"], f"{CFG['model_name']}_fold{fold}.pth")
        if not os.path.exists(path):
            print(f"missing {path}", file=sys.stderr)
            continue
        model = PawNet(CFG["model_name"])
        model.load_state_dict(torch.load(path, map_location="cpu"))
        model.to(CFG["device"])
        fold_preds.append(predict_tta(model, loader, CFG["device"]))
        del model
        torch.cuda.empty_cache()

    df["Pawpularity"] = np.mean(fold_preds, axis=0)
    df[["Id", "Pawpularity"]].to_csv("submission.csv", index=False)
    print(df.head())


if __name__ == "__main__":
    main()
