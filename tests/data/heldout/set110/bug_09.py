#!/usr/bin/env python
# coding: utf-8

# # Plant Seedlings -- pretrain on a big set, then freeze the backbone and train a new head
#
# Stage 0: pretrain our small CNN on the 12-class seedlings data (cells 1-6)
# Stage 1: freeze the backbone, swap the head for the 5-class weed dataset (cells 7-9)
# Stage 2: unfreeze and fine-tune everything (cells 10-11)

# In[1]:


import copy
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from tqdm.auto import tqdm

get_ipython().run_line_magic('matplotlib', 'inline')

device = "cuda" if torch.cuda.is_available() else "cpu"


# In[2]:


tfm = transforms.Compose([
    transforms.Resize((96, 96)),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize([0.5] * 3, [0.5] * 3),
])
seedlings = datasets.ImageFolder("../input/plant-seedlings-classification/train", transform=tfm)
weeds_train = datasets.ImageFolder("../input/weed-5class/train", transform=tfm)
weeds_val = datasets.ImageFolder("../input/weed-5class/val", transform=tfm)

seed_dl = DataLoader(seedlings, batch_size=48, shuffle=True, num_workers=2)
weeds_dl = DataLoader(weeds_train, batch_size=48, shuffle=True, num_workers=2)
weeds_val_dl = DataLoader(weeds_val, batch_size=96, num_workers=2)


# In[3]:


def conv_block(c_in, c_out, pool=True):
    layers = [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class SeedNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.backbone = nn.Sequential(
            conv_block(3, 32),
            conv_block(32, 64),
            conv_block(64, 128),
            conv_block(128, 256),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = self.make_head(num_classes)

    @staticmethod
    def make_head(num_classes):
        return nn.Sequential(
            nn.Linear(256, 128, bias=False),
            nn.BatchNorm1d(256),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.Dropout(0.4),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.head(self.backbone(x))


# In[4]:


model = SeedNet(num_classes=12).to(device)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


# In[5]:


for epoch in range(8):
    model.train()
    for x, y in tqdm(seed_dl, leave=False):
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, loss.item())


# In[6]:


torch.save(model.state_dict(), "seednet_pretrained.pt")


# ## Stage 1: freeze backbone, new head for 5 weed classes
# BN layers of the backbone go to eval so their running stats stay the ones
# from pretraining, and all backbone params get requires_grad=False.

# In[7]:


model.head = SeedNet.make_head(5).to(device)
model.backbone.eval()
for p in model.backbone.parameters():
    p.requires_grad = False

head_opt = torch.optim.Adam(model.head.parameters(), lr=1e-3)


@torch.no_grad()
def accuracy(model, loader):
    model.eval()
    hits = 0
    for x, y in loader:
        hits += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return hits / len(loader.dataset)


# In[8]:


for epoch in range(5):
    model.train()  # expect: BN105
    for x, y in weeds_dl:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        head_opt.zero_grad()
        loss.backward()
        head_opt.step()
    print(f"head epoch {epoch}: val acc {accuracy(model, weeds_val_dl):.3f}")


# In[9]:


best_head = copy.deepcopy(model.head.state_dict())


# ## Stage 2: unfreeze everything, small LR

# In[10]:


for p in model.parameters():
    p.requires_grad = True
ft_opt = torch.optim.Adam(model.parameters(), lr=1e-4)


# In[11]:


for epoch in range(5):
    model.train()
    for x, y in weeds_dl:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        ft_opt.zero_grad()
        loss.backward()
        ft_opt.step()
    print(f"ft epoch {epoch}: val acc {accuracy(model, weeds_val_dl):.3f}")
