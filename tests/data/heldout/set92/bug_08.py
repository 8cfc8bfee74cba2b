# Plant Seedlings Classification - small ResNet from scratch + pseudo labels + TTA
# Kaggle kernel, version 14.  LB 0.951

import glob
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import ConcatDataset, DataLoader, Dataset
import torchvision.transforms as T


class CFG:
    root = "../input/plant-seedlings-classification"
    img_size = 128
    batch_size = 32
    epochs = 30
    lr = 2e-3
    pseudo_epoch = 20          # generate pseudo labels once, after this epoch
    pl_threshold = 0.95
    tta = 4
    seed = 2021


torch.manual_seed(CFG.seed)
device = "cuda"
CLASSES = sorted(os.listdir(f"{CFG.root}/train"))
train_files = [(f, i) for i, c in enumerate(CLASSES) for f in glob.glob(f"{CFG.root}/train/{c}/*.png")]
test_files = sorted(glob.glob(f"{CFG.root}/test/*.png"))

train_tf = T.Compose([T.RandomResizedCrop(CFG.img_size, scale=(0.7, 1.0)), T.RandomHorizontalFlip(),
                      T.RandomVerticalFlip(), T.ToTensor()])
test_tf = T.Compose([T.Resize((CFG.img_size, CFG.img_size)), T.ToTensor()])


class SeedDataset(Dataset):
    def __init__(self, items, tf):
        self.items, self.tf = items, tf

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        return self.tf(Image.open(path).convert("RGB")), label


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(conv_bn(c, c), nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return F.relu(x + self.body(x))


class SeedNet(nn.Module):
    def __init__(self, n_classes=12):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 32, 2), ResBlock(32),
            conv_bn(32, 64, 2), ResBlock(64),
            conv_bn(64, 128, 2), ResBlock(128),
            conv_bn(128, 256, 2), ResBlock(256),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Sequential(
            nn.Linear(256, 128),  # expect: BN204
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(128, n_classes),
        )

    def forward(self, x):
        return self.head(self.features(x))


@torch.no_grad()
def make_pseudo_labels(model, loader, threshold):
    keep = []
    for imgs, paths in loader:
        probs = F.softmax(model(imgs.to(device)), dim=1)
        conf, cls = probs.max(1)
        for p, c, k in zip(paths, cls.tolist(), conf.tolist()):
            if k >= threshold:
                keep.append((p, c))
    return keep


class TestDataset(Dataset):
    def __init__(self, files, tf):
        self.files, self.tf = files, tf

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        return self.tf(Image.open(self.files[i]).convert("RGB")), self.files[i]


train_ds = SeedDataset(train_files, train_tf)
test_loader = DataLoader(TestDataset(test_files, test_tf), batch_size=64, shuffle=False)
train_loader = DataLoader(train_ds, batch_size=CFG.batch_size, shuffle=True, num_workers=4, drop_last=True)

model = SeedNet(len(CLASSES)).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=CFG.lr, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=CFG.epochs)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

model.train()
for epoch in range(CFG.epochs):
    total = 0.0
    for imgs, labels in train_loader:
        imgs, labels = imgs.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(imgs), labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
    scheduler.step()
    print(f"epoch {epoch:02d}  loss {total / len(train_loader):.4f}  lr {scheduler.get_last_lr()[0]:.2e}")

    if epoch + 1 == CFG.pseudo_epoch:
        model.eval()  # expect: BN103
        pseudo = make_pseudo_labels(model, test_loader, CFG.pl_threshold)
        print(f"adding {len(pseudo)} pseudo-labelled test images")
        train_loader = DataLoader(ConcatDataset([train_ds, SeedDataset(pseudo, train_tf)]),
                                  batch_size=CFG.batch_size, shuffle=True, num_workers=4, drop_last=True)

# ---- TTA inference + submission
tta_tfs = [lambda x: x, lambda x: x.flip(3), lambda x: x.flip(2), lambda x: x.flip(2).flip(3)]
model.eval()
all_probs, all_names = [], []
with torch.no_grad():
    for imgs, paths in test_loader:
        imgs = imgs.to(device)
        probs = sum(F.softmax(model(tf(imgs)), 1) for tf in tta_tfs[:CFG.tta]) / CFG.tta
        all_probs.append(probs.cpu().numpy())
        all_names += [os.path.basename(p) for p in paths]

pred = np.concatenate(all_probs).argmax(1)
sub = pd.DataFrame({"file": all_names, "species": [CLASSES[i] for i in pred]})
sub.to_csv("submission.csv", index=False)
print(sub.species.value_counts())
