#!/usr/bin/env python
# coding: utf-8

# # IMDB sentiment: TextCNN vs BiLSTM, both with BatchNorm
#
# Notebook for the NLP study group. Two models, same data pipeline.
# Note on BatchNorm1d: it normalises dim 1, so (N, L, E) tensors must be
# permuted to (N, E, L) -- or flattened to (N*L, E) -- first.

# In[1]:


import re
from collections import Counter

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from sklearn.model_selection import train_test_split

get_ipython().run_line_magic('matplotlib', 'inline')
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


# In[2]:


SEQ_LEN = 200
EMB = 200
VOCAB = 20000
BATCH = 64

df = pd.read_csv("../input/imdb-dataset-of-50k-movie-reviews/IMDB Dataset.csv")
df["y"] = (df["sentiment"] == "positive").astype(int)
tok = lambda s: re.findall(r"\w+", s.lower().replace("<br />", " "))
cnt = Counter(w for r in df["review"] for w in tok(r))
vocab = {w: i + 2 for i, (w, _) in enumerate(cnt.most_common(VOCAB - 2))}


def encode(text):
    ids = [vocab.get(w, 1) for w in tok(text)][:SEQ_LEN]
    return ids + [0] * (SEQ_LEN - len(ids))


X = torch.tensor([encode(r) for r in df["review"]])
y = torch.tensor(df["y"].values)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
train_dl = DataLoader(TensorDataset(X_tr, y_tr), batch_size=BATCH, shuffle=True)
test_dl = DataLoader(TensorDataset(X_te, y_te), batch_size=512)


# In[3]:


class TextCNN(nn.Module):
    def __init__(self, vocab_size=VOCAB, emb=EMB, n_filters=128, n_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(emb)
        self.conv = nn.Conv1d(emb, n_filters, kernel_size=5, padding=2, bias=False)
        self.conv_bn = nn.BatchNorm1d(n_filters)
        self.fc1 = nn.Linear(n_filters, 64, bias=False)
        self.fc_bn = nn.BatchNorm1d(64)
        self.out = nn.Linear(64, n_classes)

    def forward(self, ids):
        x = self.embedding(ids)          # (N, L, E)
        x = x.permute(0, 2, 1)           # (N, E, L)
        x = self.emb_bn(x)
        x = F.relu(self.conv_bn(self.conv(x)))
        x = x.max(dim=2).values          # (N, n_filters)
        x = F.relu(self.fc_bn(self.fc1(x)))
        return self.out(x)


# In[4]:


def train_model(model, epochs=3, lr=1e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for ep in range(epochs):
        model.train()
        for xb, yb in train_dl:
            xb, yb = xb.to(device), yb.to(device)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"  epoch {ep}: test acc {test_accuracy(model):.4f}")
    return model


def test_accuracy(model):
    model.eval()
    hits = 0
    with torch.no_grad():
        for xb, yb in test_dl:
            hits += (model(xb.to(device)).argmax(1).cpu() == yb).sum().item()
    return hits / len(test_dl.dataset)


# In[5]:


cnn = train_model(TextCNN().to(device))


# ## Model 2: BiLSTM with BatchNorm on the per-token features

# In[6]:


class BiLSTMBN(nn.Module):
    def __init__(self, vocab_size=VOCAB, emb=EMB, hidden=128, n_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.tok_bn = nn.BatchNorm1d(2 * hidden)
        self.proj = nn.Linear(2 * hidden, 2 * hidden)
        self.out = nn.Linear(2 * hidden, n_classes)

    def forward(self, ids):
        h, _ = self.lstm(self.embedding(ids))   # (N, L, 2H)
        n, l, d = h.shape
        h = self.tok_bn(h.reshape(n * l, d)).reshape(n, l, d)
        h = torch.tanh(self.proj(h))
        return self.out(h.mean(dim=1))


class BiLSTMBN2(BiLSTMBN):
    """Same thing but normalising with transpose instead of reshape."""

    def forward(self, ids):
        h, _ = self.lstm(self.embedding(ids))
        h = self.tok_bn(h.transpose(1, 2)).transpose(1, 2)
        h = torch.tanh(self.proj(h))
        return self.out(h.mean(dim=1))


# In[7]:


lstm_model = train_model(BiLSTMBN().to(device), epochs=2)
lstm_model2 = train_model(BiLSTMBN2().to(device), epochs=2)


# ## Try some reviews

# In[8]:


def predict_sentiment(model, text):
    model.eval()
    with torch.no_grad():
        p = F.softmax(model(torch.tensor([encode(text)], device=device)), dim=1)[0, 1].item()
    return "positive" if p > 0.5 else "negative", round(p, 3)


for review in ["An absolute masterpiece, I cried twice.", "Two hours of my life I will never get back."]:
    print(review, "->", predict_sentiment(cnn, review), predict_sentiment(lstm_model, review))
