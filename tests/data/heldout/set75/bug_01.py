#!/usr/bin/env python
# coding: utf-8

# # Assignment 2 - MNIST classifier (MLP + BatchNorm)
# Deep Learning course, week 4. Run all cells top to bottom.

# In[1]:


import torch
import torch.nn as nn
import torch.optim as optim
from collections import OrderedDict
from torchvision import datasets, transforms
from torch.utils.data import DataLoader
import matplotlib.pyplot as plt
import numpy as np


# In[2]:


device = 'cuda' if torch.cuda.is_available() else 'cpu'
print(device)

transform = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.1307,), (0.3081,))
])
train_data = datasets.MNIST('./data', train=True, download=True, transform=transform)
test_data = datasets.MNIST('./data', train=False, download=True, transform=transform)
print(len(train_data), len(test_data))


# In[3]:


train_loader = DataLoader(train_data, batch_size=128, shuffle=True)
test_loader = DataLoader(test_data, batch_size=256)

imgs, lbls = next(iter(train_loader))
print(imgs.shape, lbls.shape)
plt.imshow(imgs[0].squeeze(), cmap='gray')
plt.title(str(lbls[0].item()))
plt.show()


# In[4]:


# TODO: try 3 hidden layers later
model = nn.Sequential(OrderedDict([
    ('flat', nn.Flatten()),
    ('fc1', nn.Linear(784, 256)),  # expect: BN204
    ('bn1', nn.BatchNorm1d(256)),
    ('relu1', nn.ReLU()),
    ('fc2', nn.Linear(256, 128, bias=False)),
    ('bn2', nn.BatchNorm1d(256)),  # expect: BN201
    ('relu2', nn.ReLU()),
    ('drop', nn.Dropout(0.2)),
    ('out', nn.Linear(128, 10)),
]))
model = model.to(device)
print(model)


# In[5]:


criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=1e-3)
epochs = 5
train_losses = []
train_accs = []


# In[6]:


for epoch in range(epochs):
    model.train()
    running_loss = 0
    correct = 0
    total = 0
    for images, labels in train_loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        output = model(images)
        loss = criterion(output, labels)
        loss.backward()
        optimizer.step()

        running_loss += loss.item()
        pred = output.argmax(dim=1)
        correct += (pred == labels).sum().item()
        total += labels.size(0)
    train_losses.append(running_loss / len(train_loader))
    train_accs.append(correct / total)
    print(f"epoch {epoch+1}: loss {train_losses[-1]:.4f}  acc {train_accs[-1]:.4f}")


# In[7]:


fig, ax = plt.subplots(1, 2, figsize=(10, 4))
ax[0].plot(train_losses, 'o-')
ax[0].set_title('train loss')
ax[1].plot(train_accs, 'o-')
ax[1].set_title('train acc')
plt.show()


# In[8]:


# test accuracy
correct = 0
total = 0
with torch.no_grad():
    for images, labels in test_loader:
        images, labels = images.to(device), labels.to(device)
        output = model(images)  # expect: BN101
        _, predicted = torch.max(output, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()

print('Test accuracy: %.2f %%' % (100 * correct / total))


# In[9]:


# show a few of the last batch (images / predicted still there from the cell above)
images = images.cpu()
predicted = predicted.cpu()
plt.figure(figsize=(12, 3))
for k in range(8):
    plt.subplot(1, 8, k + 1)
    plt.imshow(images[k].squeeze().numpy(), cmap='gray')
    plt.title(f"p={predicted[k].item()}")
    plt.axis('off')
plt.show()


# In[10]:


torch.save(model.state_dict(), 'mnist_mlp.pth')
print('saved', np.round(train_accs[-1], 3))
