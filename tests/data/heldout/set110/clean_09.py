#!/usr/bin/env python
# coding: utf-8

# # Food-101 subset: linear probe on a frozen EfficientNet, then unfreeze
#
# The wrapper overrides `train()` so a frozen backbone (and its BatchNorm
# running statistics) stays in eval mode no matter how often the training
# loop calls `model.train()`.

# In[1]:


import time
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

get_ipython().run_line_magic('matplotlib', 'inline')
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


# In[2]:


weights = models.EfficientNet_B0_Weights.IMAGENET1K_V1
preprocess = weights.transforms()
train_ds = datasets.ImageFolder("/kaggle/input/food101-subset/train", transform=preprocess)
val_ds = datasets.ImageFolder("/kaggle/input/food101-subset/val", transform=preprocess)
train_dl = DataLoader(train_ds, batch_size=64, shuffle=True, num_workers=4)
val_dl = DataLoader(val_ds, batch_size=128, num_workers=4)
num_classes = len(train_ds.classes)


# In[3]:


class FineTuneNet(nn.Module):
    def __init__(self, num_classes, freeze_backbone=True):
        super().__init__()
        base = models.efficientnet_b0(weights=weights)
        self.backbone = base.features
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            for p in self.backbone.parameters():
                p.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    def forward(self, x):
        return self.head(self.pool(self.backbone(x)).flatten(1))


# In[4]:


def run_epoch(model, opt):
    model.train()
    seen, loss_sum = 0, 0.0
    for x, y in train_dl:
        x, y = x.to(device), y.to(device)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_sum += loss.item() * x.size(0)
        seen += x.size(0)
    return loss_sum / seen


@torch.inference_mode()
def validate(model):
    model.eval()
    ok = 0
    for x, y in val_dl:
        ok += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return ok / len(val_ds)


# ## Linear probe (backbone frozen)

# In[5]:


model = FineTuneNet(num_classes, freeze_backbone=True).to(device)
opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
for epoch in range(5):
    t = time.time()
    loss = run_epoch(model, opt)
    print(f"probe {epoch}: loss {loss:.3f} val {validate(model):.4f} ({time.time() - t:.0f}s)")


# ## Unfreeze and fine-tune everything

# In[6]:


model.freeze_backbone = False
for p in model.backbone.parameters():
    p.requires_grad = True
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.05)
for epoch in range(5):
    loss = run_epoch(model, opt)
    print(f"finetune {epoch}: loss {loss:.3f} val {validate(model):.4f}")


# In[7]:


torch.save(model.state_dict(), "food_effb0.pt")
model.eval()
x, y = val_ds[0]
with torch.no_grad():
    print("pred:", train_ds.classes[model(x[None].to(device)).argmax().item()], "| true:", train_ds.classes[y])
