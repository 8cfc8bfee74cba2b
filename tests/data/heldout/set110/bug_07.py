#!/usr/bin/env python
# coding: utf-8

# # Flowers-102 from scratch + TorchScript export for the mobile app
#
# Notebook from the "Deploying PyTorch models" workshop.

# In[1]:


import time
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
import matplotlib.pyplot as plt

get_ipython().run_line_magic('matplotlib', 'inline')
get_ipython().run_line_magic('load_ext', 'autoreload')
get_ipython().run_line_magic('autoreload', '2')


# In[2]:


cfg = dict(img_size=64, batch_size=32, epochs=15, lr=3e-3, num_classes=102, workers=2)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

train_tf = transforms.Compose([
    transforms.RandomResizedCrop(cfg["img_size"], scale=(0.6, 1.0)),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
])
eval_tf = transforms.Compose([
    transforms.Resize(cfg["img_size"] + 8),
    transforms.CenterCrop(cfg["img_size"]),
    transforms.ToTensor(),
])

train_ds = datasets.Flowers102("data", split="train", transform=train_tf, download=True)
val_ds = datasets.Flowers102("data", split="val", transform=eval_tf, download=True)
train_dl = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True, num_workers=cfg["workers"])
val_dl = DataLoader(val_ds, batch_size=128, num_workers=cfg["workers"])


# In[3]:


def conv_bn_relu(c_in, c_out):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


features = nn.Sequential(OrderedDict([
    ("block1", conv_bn_relu(3, 32)),
    ("pool1", nn.MaxPool2d(2)),
    ("block2", conv_bn_relu(32, 64)),
    ("pool2", nn.MaxPool2d(2)),
    ("block3", conv_bn_relu(64, 128)),
    ("pool3", nn.MaxPool2d(2)),
    ("block4", conv_bn_relu(128, 256)),
    ("gap", nn.AdaptiveAvgPool2d(4)),
]))

classifier = nn.Sequential(OrderedDict([
    ("flatten", nn.Flatten()),
    ("fc1", nn.Linear(256 * 4 * 4, 512, bias=False)),
    ("bn_fc1", nn.BatchNorm2d(512)),  # expect: BN202
    ("relu", nn.ReLU(inplace=True)),
    ("drop", nn.Dropout(0.3)),
    ("fc2", nn.Linear(512, cfg["num_classes"])),
]))

model = nn.Sequential(OrderedDict([("features", features), ("classifier", classifier)])).to(device)
model


# In[4]:


criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
optimizer = optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=1e-4)


def train_one_epoch(model, loader):
    model.train()
    total, loss_sum = 0, 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * x.size(0)
        total += x.size(0)
    return loss_sum / total


@torch.no_grad()
def validate(model, loader):
    model.eval()
    correct = 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(loader.dataset)


# In[5]:


for epoch in range(cfg["epochs"]):
    t = time.time()
    tr_loss = train_one_epoch(model, train_dl)
    val_acc = validate(model, val_dl)
    print(f"[{epoch + 1:02d}] loss={tr_loss:.3f} val_acc={val_acc:.3f} ({time.time() - t:.0f}s)")


# Val accuracy was still climbing at the end -- squeeze out 5 more epochs before export.

# In[6]:


for epoch in range(5):
    tr_loss = train_one_epoch(model, train_dl)
    print(f"extra epoch {epoch + 1}: loss={tr_loss:.3f}")


# ## Export with TorchScript

# In[7]:


example = torch.rand(1, 3, cfg["img_size"], cfg["img_size"], device=device)
traced = torch.jit.trace(model, example)  # expect: BN104
traced.save("flowers102_mobile.pt")
print("saved")
