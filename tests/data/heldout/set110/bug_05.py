#!/usr/bin/env python
# coding: utf-8

# # Fashion-MNIST | simple CNN with BatchNorm (~92%)
#
# Upvote if you find it useful :)

# In[1]:


import os
import random

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import Dataset, DataLoader
from sklearn.metrics import classification_report, confusion_matrix
import seaborn as sns
import matplotlib.pyplot as plt

get_ipython().run_line_magic('matplotlib', 'inline')


def seed_everything(seed=2021):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


seed_everything()
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


# In[2]:


train_csv = pd.read_csv("/kaggle/input/fashionmnist/fashion-mnist_train.csv")
test_csv = pd.read_csv("/kaggle/input/fashionmnist/fashion-mnist_test.csv")
print(train_csv.shape, test_csv.shape)
train_csv.head()


# In[3]:


class FashionDataset(Dataset):
    def __init__(self, df):
        self.labels = df["label"].values
        self.images = df.drop(columns=["label"]).values.reshape(-1, 1, 28, 28).astype("float32") / 255.0

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return torch.from_numpy(self.images[idx]), int(self.labels[idx])


train_set = FashionDataset(train_csv)
test_set = FashionDataset(test_csv)
train_loader = DataLoader(train_set, batch_size=100, shuffle=True)
test_loader = DataLoader(test_set, batch_size=100)

CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


# In[4]:


class FashionCNN(nn.Module):
    def __init__(self):
        super(FashionCNN, self).__init__()
        self.layer1 = nn.Sequential(
            nn.Conv2d(in_channels=1, out_channels=32, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.layer2 = nn.Sequential(
            nn.Conv2d(in_channels=32, out_channels=64, kernel_size=3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.fc1 = nn.Linear(in_features=64 * 6 * 6, out_features=600, bias=False)
        self.bn_fc1 = nn.BatchNorm2d(600)  # expect: BN202
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(in_features=600, out_features=120)
        self.fc3 = nn.Linear(in_features=120, out_features=10)

    def forward(self, x):
        out = self.layer1(x)
        out = self.layer2(out)
        out = out.view(out.size(0), -1)
        out = torch.relu(self.bn_fc1(self.fc1(out)))
        out = self.drop(out)
        out = self.fc2(out)
        out = self.fc3(out)
        return out


model = FashionCNN()
model.to(DEVICE)

error = nn.CrossEntropyLoss()
learning_rate = 0.001
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
print(model)


# In[5]:


num_epochs = 5
count = 0
loss_list = []
iteration_list = []

for epoch in range(num_epochs):
    for images, labels in train_loader:
        images, labels = images.to(DEVICE), labels.to(DEVICE)
        outputs = model(images)
        loss = error(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        count += 1
        if not (count % 50):
            loss_list.append(loss.item())
            iteration_list.append(count)
    print(f"Epoch {epoch}: loss {loss.item():.4f}")


# In[6]:


plt.plot(iteration_list, loss_list)
plt.xlabel("No. of Iteration")
plt.ylabel("Loss")
plt.title("Iterations vs Loss")
plt.show()


# ## Evaluation on the test set

# In[7]:


model.eval  # expect: BN102


# In[8]:


predictions_list = []
labels_list = []
with torch.no_grad():
    for images, labels in test_loader:
        images = images.to(DEVICE)
        outputs = model(images)  # expect: BN101
        predictions_list.extend(torch.max(outputs, 1)[1].cpu().numpy())
        labels_list.extend(labels.numpy())

print(classification_report(labels_list, predictions_list, target_names=CLASSES))


# In[9]:


cm = confusion_matrix(labels_list, predictions_list)
plt.figure(figsize=(10, 8))
sns.heatmap(cm, annot=True, fmt="d", xticklabels=CLASSES, yticklabels=CLASSES)
plt.show()
