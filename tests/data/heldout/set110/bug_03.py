#!/usr/bin/env python
# coding: utf-8

# # AG News topic classification -- BiLSTM + BatchNorm
#
# Kaggle notebook. Data: `train.csv` / `test.csv` from the AG News dataset
# (columns: Class Index, Title, Description).

# In[1]:


get_ipython().system('pip install -q nltk')

import re
import time
from collections import Counter

import numpy as np
import pandas as pd
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import Dataset, DataLoader
import matplotlib.pyplot as plt

get_ipython().run_line_magic('matplotlib', 'inline')


# In[2]:


MAX_LEN = 128
EMBED_DIM = 128
HIDDEN = 96
BATCH_SIZE = 64
EPOCHS = 6
NUM_CLASSES = 4
device = "cuda" if torch.cuda.is_available() else "cpu"


# In[3]:


train_df = pd.read_csv("../input/ag-news-classification-dataset/train.csv")
test_df = pd.read_csv("../input/ag-news-classification-dataset/test.csv")
train_df["text"] = train_df["Title"] + " " + train_df["Description"]
test_df["text"] = test_df["Title"] + " " + test_df["Description"]
train_df["label"] = train_df["Class Index"] - 1
test_df["label"] = test_df["Class Index"] - 1
display(train_df.head())


# In[4]:


def tokenize(s):
    return re.findall(r"[a-z0-9']+", s.lower())


counter = Counter()
for t in train_df["text"]:
    counter.update(tokenize(t))

itos = ["<pad>", "<unk>"] + [w for w, c in counter.most_common(30000) if c >= 3]
stoi = {w: i for i, w in enumerate(itos)}
print("vocab size:", len(itos))


def encode(s):
    ids = [stoi.get(w, 1) for w in tokenize(s)][:MAX_LEN]
    return ids + [0] * (MAX_LEN - len(ids))


# In[5]:


class NewsDataset(Dataset):
    def __init__(self, df):
        self.x = [encode(t) for t in df["text"]]
        self.y = df["label"].tolist()

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return torch.tensor(self.x[i]), torch.tensor(self.y[i])


train_ds = NewsDataset(train_df)
test_ds = NewsDataset(test_df)
train_dl = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
test_dl = DataLoader(test_ds, batch_size=256)


# In[6]:


class TextClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim=EMBED_DIM, hidden=HIDDEN, num_class=NUM_CLASSES):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.fc1 = nn.Linear(2 * hidden, 64)  # expect: BN204
        self.bn_fc = nn.BatchNorm1d(64, 0.9)  # expect: BN206
        self.fc2 = nn.Linear(64, num_class)

    def forward(self, text):
        x = self.embedding(text)  # (batch, seq_len, embed_dim)
        x = self.emb_bn(x)  # expect: BN203
        out, (h, c) = self.lstm(x)
        h = torch.cat([h[-2], h[-1]], dim=1)
        h = F.relu(self.bn_fc(self.fc1(h)))
        return self.fc2(h)


model = TextClassifier(len(itos)).to(device)
print(sum(p.numel() for p in model.parameters() if p.requires_grad), "trainable params")


# In[7]:


optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
criterion = nn.CrossEntropyLoss()


def run_epoch(loader, train=True):
    model.train(train)
    total_loss, correct, n = 0.0, 0, 0
    with torch.set_grad_enabled(train):
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            logits = model(xb)
            loss = criterion(logits, yb)
            if train:
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
            total_loss += loss.item() * yb.size(0)
            correct += (logits.argmax(1) == yb).sum().item()
            n += yb.size(0)
    return total_loss / n, correct / n


# In[8]:


hist = {"train_acc": [], "test_acc": []}
for epoch in range(EPOCHS):
    t0 = time.time()
    tr_loss, tr_acc = run_epoch(train_dl, train=True)
    te_loss, te_acc = run_epoch(test_dl, train=False)
    hist["train_acc"].append(tr_acc)
    hist["test_acc"].append(te_acc)
    print(f"epoch {epoch + 1}: train {tr_acc:.3f} | test {te_acc:.3f} | {time.time() - t0:.0f}s")


# In[9]:


plt.plot(hist["train_acc"], label="train")
plt.plot(hist["test_acc"], label="test")
plt.legend()
plt.show()


# ## Try it on a headline

# In[10]:


labels = ["World", "Sports", "Business", "Sci/Tech"]


def predict(text):
    model.eval()
    x = torch.tensor([encode(text)], device=device)
    with torch.no_grad():
        probs = F.softmax(model(x), dim=1)[0]
    return labels[probs.argmax().item()], probs.max().item()


predict("Stocks rally as the Fed signals a pause in rate hikes")
