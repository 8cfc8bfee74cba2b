import albumentations as A
import cv2
import torch
from albumentations.pytorch import ToTensorV2
from torch.utils.data import Dataset

from config import CFG


def get_transforms(data):
    if data == "train":
        return A.Compose([
            A.RandomResizedCrop(CFG.img_size, CFG.img_size, scale=(0.7, 1.0)),
            A.HorizontalFlip(p=0.5),
            A.VerticalFlip(p=0.5),
            A.RandomRotate90(p=0.5),
            A.Normalize(),
            ToTensorV2(),
        ])
    return A.Compose([A.Resize(CFG.img_size, CFG.img_size), A.Normalize(), ToTensorV2()])


class SeedlingDataset(Dataset):
    def __init__(self, df, transform=None, with_label=True):
        self.paths = df["file_path"].values
        self.labels = df["label"].values if with_label else None
        self.transform = transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, idx):
        image = cv2.cvtColor(cv2.imread(self.paths[idx]), cv2.COLOR_BGR2RGB)
        if self.transform:
            image = self.transform(image=image)["image"]
        if self.labels is None:
            return image
        return image, torch.tensor(self.labels[idx]).long()
