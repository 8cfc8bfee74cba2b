#!/usr/bin/env python
# coding: utf-8

# # GTSRB traffic signs -- training notebook
#
# Model code lives in `models/`, the loops in `engine.py`, data in `utils.py`.
# This notebook just wires things together and keeps the experiment log.

# In[1]:


get_ipython().run_line_magic('load_ext', 'autoreload')
get_ipython().run_line_magic('autoreload', '2')
get_ipython().run_line_magic('matplotlib', 'inline')

import time
import torch
import matplotlib.pyplot as plt

from models import build_net
from engine import train_one_epoch, evaluate
from utils import CFG, get_loaders, seed_everything


# In[2]:


seed_everything(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
train_dl, test_dl = get_loaders(CFG)
print(len(train_dl.dataset), len(test_dl.dataset))


# In[3]:


model = build_net(CFG).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=CFG["lr"], weight_decay=0.05)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=CFG["lr"], total_steps=CFG["epochs"] * len(train_dl))
log = []


# In[4]:


for epoch in range(CFG["epochs"]):
    t0 = time.time()
    loss = train_one_epoch(model, train_dl, optimizer, device, scheduler)
    acc = evaluate(model, test_dl, device)
    log.append((loss, acc))
    print(f"epoch {epoch + 1:02d}  loss {loss:.4f}  test acc {acc:.4f}  {time.time() - t0:.0f}s")


# In[5]:


plt.plot([a for _, a in log])
plt.title("test accuracy")
plt.show()


# ## Fine-tune a bit longer at a constant small LR
# (OneCycle already ended, so a plain loop with a fresh optimizer)

# In[6]:


ft_opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
for epoch in range(4):
    for images, targets in train_dl:
        images, targets = images.to(device), targets.to(device)
        loss = torch.nn.functional.cross_entropy(model(images), targets)
        ft_opt.zero_grad()
        loss.backward()
        ft_opt.step()
    acc = evaluate(model, test_dl, device)  # expect: BN103
    print(f"ft epoch {epoch}: loss {loss.item():.4f} test acc {acc:.4f}")


# In[7]:


torch.save(model.state_dict(), "signnet_ft.pt")
