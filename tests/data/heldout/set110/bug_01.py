#!/usr/bin/env python
# coding: utf-8

# # MNIST digit classifier with BatchNorm
#
# A small CNN for MNIST. Conv -> BN -> ReLU -> Pool, twice, then two FC layers.
# Run all cells from top to bottom (Runtime > Run all).

# In[1]:


import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torchvision import datasets, transforms
import matplotlib.pyplot as plt
import numpy as np

get_ipython().run_line_magic('matplotlib', 'inline')


# In[2]:


device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(device)

BATCH_SIZE = 128
EPOCHS = 5
LR = 1e-3
torch.manual_seed(42)


# In[3]:


transform = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.1307,), (0.3081,)),
])

train_ds = datasets.MNIST("./data", train=True, download=True, transform=transform)
test_ds = datasets.MNIST("./data", train=False, download=True, transform=transform)

train_loader = torch.utils.data.DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, num_workers=2)
test_loader = torch.utils.data.DataLoader(test_ds, batch_size=1000, shuffle=False)

print(len(train_ds), len(test_ds))


# In[4]:


# quick look at a few samples
fig, axes = plt.subplots(1, 6, figsize=(10, 2))
for ax, idx in zip(axes, range(6)):
    img, lbl = train_ds[idx]
    ax.imshow(img.squeeze(), cmap="gray")
    ax.set_title(lbl)
    ax.axis("off")
plt.show()


# In[5]:


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)  # expect: BN201
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


model = Net().to(device)
model


# In[6]:


optimizer = optim.Adam(model.parameters(), lr=LR)
criterion = nn.CrossEntropyLoss()
history = []

for epoch in range(EPOCHS):
    model.train()
    running_loss = 0.0
    for images, labels in train_loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(images)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * images.size(0)
    epoch_loss = running_loss / len(train_ds)
    history.append(epoch_loss)
    print(f"Epoch {epoch + 1}/{EPOCHS} - loss: {epoch_loss:.4f}")


# In[7]:


model.eval()
correct = 0
with torch.no_grad():
    for images, labels in test_loader:
        images, labels = images.to(device), labels.to(device)
        preds = model(images).argmax(dim=1)
        correct += (preds == labels).sum().item()
print(f"Test accuracy: {100 * correct / len(test_ds):.2f}%")


# In[8]:


plt.plot(history, marker="o")
plt.xlabel("epoch")
plt.ylabel("train loss")
plt.show()


# Accuracy is fine but the loss is still going down. Lower the LR and train 3 more epochs.

# In[9]:


for g in optimizer.param_groups:
    g["lr"] = 1e-4

for epoch in range(3):
    model.train()
    for images, labels in train_loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
    print(f"extra epoch {epoch + 1}: last batch loss {loss.item():.4f}")

torch.save(model.state_dict(), "mnist_bn.pt")


# ## Inference on a single image

# In[10]:


img, label = test_ds[0]
with torch.no_grad():
    logits = model(img.unsqueeze(0).to(device))  # expect: BN101
pred = logits.argmax(1).item()
plt.imshow(img.squeeze(), cmap="gray")
plt.title(f"pred={pred}  true={label}")
plt.show()
