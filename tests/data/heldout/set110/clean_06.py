#!/usr/bin/env python
# coding: utf-8

# # SVHN: baseline, then a wider model (cells re-define `Net` and `model`)
#
# Experiment log notebook. v1 is the baseline; v2 (cell 8) widens the network and
# uses the "BN after ReLU" ordering that some papers report works better.

# In[1]:


import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
import matplotlib.pyplot as plt
import pandas as pd

get_ipython().run_line_magic('matplotlib', 'inline')
device = "cuda" if torch.cuda.is_available() else "cpu"


# In[2]:


WIDTH = 32
tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.44, 0.44, 0.47), (0.20, 0.20, 0.20))])
train_ds = datasets.SVHN("data", split="train", download=True, transform=tf)
test_ds = datasets.SVHN("data", split="test", download=True, transform=tf)
train_dl = DataLoader(train_ds, batch_size=128, shuffle=True, num_workers=2)
test_dl = DataLoader(test_ds, batch_size=1000, num_workers=2)
results = {}


# In[3]:


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, WIDTH, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(WIDTH)
        self.conv2 = nn.Conv2d(WIDTH, 2 * WIDTH, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(WIDTH * 2)
        self.fc = nn.Linear(2 * WIDTH * 8 * 8, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(x.flatten(1))


# In[4]:


def train(model, epochs):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for ep in range(epochs):
        model.train()
        for x, y in train_dl:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {ep}: loss {loss.item():.3f}")


def test(model):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test_dl:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return correct / len(test_ds)


# In[5]:


model = Net().to(device)
train(model, 5)
results["v1"] = test(model)
results


# In[6]:


# what does the trained v1 get wrong?
wrong = []
with torch.no_grad():
    for x, y in test_dl:
        p = model(x.to(device)).argmax(1).cpu()
        wrong.extend(((p != y).nonzero().flatten()).tolist())
        break
print(len(wrong), "errors in the first test batch")


# ## v2: wider, BN after the activation
# Conv keeps its bias here because the ReLU sits between conv and BN.

# In[7]:


WIDTH = 64


# In[8]:


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.block1 = nn.Sequential(
            nn.Conv2d(3, WIDTH, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(WIDTH),
            nn.MaxPool2d(2),
        )
        self.block2 = nn.Sequential(
            nn.Conv2d(WIDTH, WIDTH * 2, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(2 * WIDTH),
            nn.MaxPool2d(2),
        )
        self.block3 = nn.Sequential(
            nn.Conv2d(WIDTH * 2, WIDTH * 4, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(WIDTH * 4),
        )
        self.fc = nn.Linear(WIDTH * 4, num_classes)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


# In[9]:


model = Net().to(device)
train(model, 8)
results["v2"] = test(model)
pd.Series(results)


# ## Inference on a single image with the current (v2) model

# In[10]:


img, label = test_ds[42]
with torch.no_grad():
    pred = model(img.unsqueeze(0).to(device)).argmax(1).item()
plt.imshow(img.permute(1, 2, 0) * 0.2 + 0.45)
plt.title(f"label {label}, predicted {pred}")
plt.show()
