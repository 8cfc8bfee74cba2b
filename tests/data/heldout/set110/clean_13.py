#!/usr/bin/env python
# coding: utf-8

# # Intel image classification (6 scenes) -- small ResNet with BatchNorm
#
# Kaggle notebook. Train, save the best checkpoint, then (after a kernel
# restart, see the last section) rebuild the model and predict on new images.

# In[1]:


import os
import glob
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from PIL import Image
import matplotlib.pyplot as plt

get_ipython().run_line_magic('matplotlib', 'inline')
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
ROOT = "/kaggle/input/intel-image-classification"
IMG_SIZE = 150


# In[2]:


train_tfms = transforms.Compose([transforms.Resize((IMG_SIZE, IMG_SIZE)), transforms.RandomHorizontalFlip(), transforms.ToTensor()])
test_tfms = transforms.Compose([transforms.Resize((IMG_SIZE, IMG_SIZE)), transforms.ToTensor()])
train_ds = datasets.ImageFolder(f"{ROOT}/seg_train/seg_train", transform=train_tfms)
val_ds = datasets.ImageFolder(f"{ROOT}/seg_test/seg_test", transform=test_tfms)
CLASSES = train_ds.classes
train_dl = DataLoader(train_ds, batch_size=64, shuffle=True, num_workers=2, pin_memory=True)
val_dl = DataLoader(val_ds, batch_size=128, num_workers=2, pin_memory=True)
print(CLASSES, len(train_ds), len(val_ds))


# In[3]:


def conv_bn(ni, nf, stride=1):
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(ni, nf, 3, stride=stride, padding=1, bias=False)),
        ("bn", nn.BatchNorm2d(nf)),
        ("act", nn.ReLU(inplace=True)),
    ]))


class ResBlock(nn.Module):
    def __init__(self, nf):
        super().__init__()
        self.c1 = conv_bn(nf, nf)
        self.c2 = conv_bn(nf, nf)

    def forward(self, x):
        return x + self.c2(self.c1(x))


class SceneNet(nn.Module):
    def __init__(self, n_classes=6):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(3, 32, stride=2), ResBlock(32),
            conv_bn(32, 64, stride=2), ResBlock(64),
            conv_bn(64, 128, stride=2), ResBlock(128),
            conv_bn(128, 256, stride=2),
        )
        self.head = nn.Linear(256, n_classes)

    def forward(self, x):
        return self.head(F.adaptive_avg_pool2d(self.body(x), 1).flatten(1))


# In[4]:


model = SceneNet(len(CLASSES)).to(DEVICE)
opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, epochs=8, steps_per_epoch=len(train_dl))
best = 0.0


# In[5]:


for epoch in range(8):
    model.train(True)
    for xb, yb in train_dl:
        xb, yb = xb.to(DEVICE), yb.to(DEVICE)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()

    model.train(False)
    correct = 0
    with torch.no_grad():
        for xb, yb in val_dl:
            correct += (model(xb.to(DEVICE)).argmax(1).cpu() == yb).sum().item()
    acc = correct / len(val_ds)
    if acc > best:
        best = acc
        torch.save(model.state_dict(), "best_scenenet.pth")
    print(f"epoch {epoch}: loss {loss.item():.3f} val acc {acc:.4f} (best {best:.4f})")


# In[6]:


model.eval()


# In[7]:


xb, yb = next(iter(val_dl))
with torch.no_grad():
    preds = model(xb[:12].to(DEVICE)).argmax(1).cpu()
fig, axes = plt.subplots(2, 6, figsize=(15, 5))
for ax, img, p, t in zip(axes.flat, xb[:12], preds, yb[:12]):
    ax.imshow(img.permute(1, 2, 0))
    ax.set_title(f"{CLASSES[p]} / {CLASSES[t]}", color="green" if p == t else "red")
    ax.axis("off")
plt.show()


# ## Predict on new images (after a kernel restart)

# In[8]:


def predict_image(model, path):
    model.train(mode=False)
    x = test_tfms(Image.open(path).convert("RGB")).unsqueeze(0).to(DEVICE)
    with torch.no_grad():
        probs = F.softmax(model(x), dim=1)[0]
    return CLASSES[probs.argmax().item()], probs.max().item()


# In[9]:


model = SceneNet(len(CLASSES)).to(DEVICE)
model.load_state_dict(torch.load("best_scenenet.pth", map_location=DEVICE))

for path in sorted(glob.glob(f"{ROOT}/seg_pred/seg_pred/*.jpg"))[:5]:
    label, p = predict_image(model, path)
    print(os.path.basename(path), label, f"{p:.2f}")
