#!/usr/bin/env python
# coding: utf-8

# # MNIST with BatchNorm -- training, evaluation and error analysis
#
# Cells 1-6 train, cell 7 switches to eval mode, everything after that is analysis.

# In[1]:


import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
import matplotlib.pyplot as plt
from sklearn.metrics import confusion_matrix, ConfusionMatrixDisplay

get_ipython().run_line_magic('matplotlib', 'inline')
get_ipython().run_line_magic('config', "InlineBackend.figure_format = 'retina'")

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


# In[2]:


BATCH_SIZE = 64
tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
train_data = datasets.MNIST("data", train=True, download=True, transform=tf)
test_data = datasets.MNIST("data", train=False, download=True, transform=tf)
train_loader = DataLoader(train_data, batch_size=BATCH_SIZE, shuffle=True)
test_loader = DataLoader(test_data, batch_size=512)


# In[3]:


class ConvNet(nn.Module):
    def __init__(self, c1=16, c2=32, n_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, 5, padding=2, bias=False)
        self.bn1 = nn.BatchNorm2d(c1)
        self.conv2 = nn.Conv2d(c1, c2, 5, padding=2, bias=False)
        self.bn2 = nn.BatchNorm2d(c2)
        self.fc = nn.Linear(c2 * 7 * 7, n_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(x.flatten(1))


# In[4]:


# sanity check the output shape with a throwaway instance
tmp = ConvNet()
print(tmp(torch.randn(16, 1, 28, 28)).shape)
del tmp


# In[5]:


model = ConvNet().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
losses = []


# In[6]:


model.train()
for epoch in range(4):
    for step, (x, y) in enumerate(train_loader):
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            losses.append(loss.item())
            batch_acc = (logits.argmax(1) == y).float().mean().item()
            print(f"epoch {epoch} step {step:4d} loss {loss.item():.3f} batch acc {batch_acc:.2f}")


# In[7]:


model.eval()
torch.save(model.state_dict(), "mnist_convnet.pt")


# In[8]:


all_preds, all_labels = [], []
with torch.no_grad():
    for x, y in test_loader:
        all_preds.append(model(x.to(device)).argmax(1).cpu())
        all_labels.append(y)
all_preds = torch.cat(all_preds).numpy()
all_labels = torch.cat(all_labels).numpy()
print("test accuracy:", (all_preds == all_labels).mean())


# In[9]:


ConfusionMatrixDisplay(confusion_matrix(all_labels, all_preds)).plot()
plt.show()


# In[10]:


plt.plot(losses)
plt.title("training loss (every 100 steps)")
plt.show()


# ## Look at the misclassified digits one by one

# In[11]:


wrong = np.where(all_preds != all_labels)[0][:8]
single_loader = DataLoader(torch.utils.data.Subset(test_data, wrong.tolist()), batch_size=1)

fig, axes = plt.subplots(1, len(wrong), figsize=(2 * len(wrong), 2.5))
with torch.no_grad():
    for ax, (x, y) in zip(axes, single_loader):
        probs = F.softmax(model(x.to(device)), dim=1)[0]
        ax.imshow(x[0, 0], cmap="gray")
        ax.set_title(f"{y.item()} -> {probs.argmax().item()} ({probs.max():.2f})")
        ax.axis("off")
plt.show()


# ## Inference on a single image

# In[12]:


img, label = test_data[123]
with torch.inference_mode():
    pred = model(img[None].to(device)).argmax(1).item()
print("label:", label, "prediction:", pred)
