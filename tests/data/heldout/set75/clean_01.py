#!/usr/bin/env python
# coding: utf-8

# # HW2 - MNIST MLP
# (I put relu before batchnorm, the lecture slides said both orders work)

# In[1]:


import torch
import torch.nn as nn
from collections import OrderedDict
from torchvision import datasets, transforms
from torch.utils.data import DataLoader
import matplotlib.pyplot as plt


# In[2]:


tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
train_data = datasets.MNIST('./data', train=True, download=True, transform=tfm)
test_data = datasets.MNIST('./data', train=False, download=True, transform=tfm)
train_loader = DataLoader(train_data, batch_size=100, shuffle=True)
test_loader = DataLoader(test_data, batch_size=1000)
x, y = next(iter(train_loader))
print(x.shape, y[:10])


# In[3]:


hidden = 300
model = nn.Sequential(OrderedDict([
    ('flatten', nn.Flatten()),
    ('fc1', nn.Linear(28 * 28, hidden)),
    ('act1', nn.ReLU()),
    ('bn1', nn.BatchNorm1d(hidden)),
    ('fc2', nn.Linear(hidden, 100)),
    ('act2', nn.ReLU()),
    ('bn2', nn.BatchNorm1d(100)),
    ('fc3', nn.Linear(100, 10)),
]))
print(model)
print(sum(p.numel() for p in model.parameters()), 'params')


# In[4]:


opt = torch.optim.SGD(model.parameters(), lr=0.1)
crit = nn.CrossEntropyLoss()
hist = {'train': [], 'test': []}


# In[5]:


for ep in range(8):
    model.train()
    s = 0
    for x, y in train_loader:
        out = model(x)
        loss = crit(out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        s += loss.item()
    hist['train'].append(s / len(train_loader))

    model.eval()
    right = 0
    with torch.no_grad():
        for x, y in test_loader:
            out = model(x)
            right += (out.argmax(1) == y).sum().item()
    hist['test'].append(right / len(test_data))
    print(ep, hist['train'][-1], hist['test'][-1])
    # print(model.bn1.running_mean[:5])


# In[6]:


plt.plot(hist['train'], label='train loss')
plt.plot(hist['test'], label='test acc')
plt.legend()
plt.show()


# In[7]:


# wrong predictions (x, y, out are still the last test batch, model is in eval)
wrong = (out.argmax(1) != y).nonzero().flatten()
print(len(wrong), 'wrong in last batch')
plt.figure(figsize=(10, 2))
for k, j in enumerate(wrong[:6]):
    plt.subplot(1, 6, k + 1)
    plt.imshow(x[j, 0], cmap='gray')
    plt.title(f'{out[j].argmax().item()} (true {y[j].item()})')
    plt.axis('off')
plt.show()


# In[8]:


with torch.no_grad():
    probs = torch.softmax(model(x[:1]), dim=1)
print(probs)
torch.save(model.state_dict(), 'hw2_mlp.pth')
