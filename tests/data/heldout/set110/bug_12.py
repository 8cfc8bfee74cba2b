#!/usr/bin/env python
# coding: utf-8

# # Age estimation on UTKFace (regression), images kept at native size
#
# Images have different sizes after face cropping, so we don't resize them and
# use one image per step (global pooling makes the head size-independent).

# In[1]:


import os
import glob
import math
import random

import torch
import torch.nn as nn
from torch.utils.data import Dataset, DataLoader
from torchvision import transforms
from PIL import Image
import matplotlib.pyplot as plt

get_ipython().run_line_magic('matplotlib', 'inline')

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
DATA_DIR = "/kaggle/input/utkface-new/crop_part1"


# In[2]:


files = sorted(glob.glob(os.path.join(DATA_DIR, "*.jpg")))
random.seed(0)
random.shuffle(files)
split = int(0.9 * len(files))
train_files, val_files = files[:split], files[split:]
print(len(train_files), len(val_files))


# In[3]:


tfm = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
])


class UTKFace(Dataset):
    def __init__(self, paths, transform):
        self.paths = paths
        self.transform = transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        p = self.paths[i]
        age = float(os.path.basename(p).split("_")[0])
        return self.transform(Image.open(p).convert("RGB")), torch.tensor([age / 100.0])


train_loader = DataLoader(UTKFace(train_files, tfm), batch_size=1, shuffle=True)  # expect: BN301
val_loader = DataLoader(UTKFace(val_files, tfm), batch_size=1)


# In[4]:


class AgeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
        )
        self.body = nn.Sequential(
            nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm1d(64),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(128, 1)

    def forward(self, x):
        x = self.body(self.stem(x))
        return self.head(self.pool(x).flatten(1))


model = AgeNet().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
criterion = nn.L1Loss()


# In[5]:


for epoch in range(10):
    model.train()
    running = 0.0
    for i, (img, age) in enumerate(train_loader):
        img, age = img.to(device), age.to(device)
        pred = model(img)
        loss = criterion(pred, age)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
    model.eval()
    with torch.no_grad():
        mae = sum(criterion(model(x.to(device)), a.to(device)).item() for x, a in val_loader) / len(val_loader)
    print(f"epoch {epoch}: train MAE {running / len(train_loader) * 100:.2f}y  val MAE {mae * 100:.2f}y")
    torch.save(model.state_dict(), "agenet.pt")


# ## Try on my own photo
# (restart-safe: rebuild the model and load the checkpoint)

# In[6]:


def predict_age(model, path):
    img = tfm(Image.open(path).convert("RGB")).unsqueeze(0).to(device)
    with torch.no_grad():
        return model(img).item() * 100  # expect: BN101


# In[7]:


model = AgeNet().to(device)
model.load_state_dict(torch.load("agenet.pt", map_location=device))
age = predict_age(model, "me.jpg")
plt.imshow(Image.open("me.jpg"))
plt.title(f"predicted age: {age:.0f}")
plt.show()
