# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.16.1
#   kernelspec:
#     display_name: dl-course
#     language: python
#     name: dl-course
# ---

# %% [markdown]
# # Week 7 lab: CNN text classifier on AG News
# Tokens -> embedding -> (BatchNorm) -> Conv1d -> max-over-time -> linear.

# %%
import re
from collections import Counter

import matplotlib.pyplot as plt
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

# %%
MAX_LEN = 64
VOCAB_SIZE = 20000
EMB_DIM = 128
N_FILTERS = 100
N_CLASSES = 4
BATCH_SIZE = 64
EPOCHS = 6
device = "cuda" if torch.cuda.is_available() else "cpu"

# %%
train_df = pd.read_csv("ag_news/train.csv", names=["label", "title", "text"])
test_df = pd.read_csv("ag_news/test.csv", names=["label", "title", "text"])
train_df["label"] -= 1
test_df["label"] -= 1

def tokenize(s):
    return re.findall(r"[a-z0-9']+", s.lower())

counter = Counter(tok for t in train_df.text for tok in tokenize(t))
itos = ["<pad>", "<unk>"] + [w for w, _ in counter.most_common(VOCAB_SIZE - 2)]
stoi = {w: i for i, w in enumerate(itos)}

def encode(s):
    ids = [stoi.get(t, 1) for t in tokenize(s)][:MAX_LEN]
    return ids + [0] * (MAX_LEN - len(ids))

# %%
class NewsDataset(Dataset):
    def __init__(self, df):
        self.x = torch.tensor([encode(t) for t in df.text], dtype=torch.long)
        self.y = torch.tensor(df.label.values, dtype=torch.long)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]

train_loader = DataLoader(NewsDataset(train_df), batch_size=BATCH_SIZE, shuffle=True)
test_loader = DataLoader(NewsDataset(test_df), batch_size=512)

# %%
class TextCNN(nn.Module):
    def __init__(self, vocab_size=VOCAB_SIZE, emb_dim=EMB_DIM, n_filters=N_FILTERS, n_classes=N_CLASSES):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(emb_dim)
        self.conv = nn.Conv1d(emb_dim, n_filters, kernel_size=3, padding=1, bias=False)
        self.conv_bn = nn.BatchNorm1d(n_filters)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(n_filters, n_classes)

    def forward(self, tokens):
        x = self.embedding(tokens)            # (N, L, E)
        x = self.emb_bn(x)  # expect: BN203
        x = x.permute(0, 2, 1)                # (N, E, L) for Conv1d
        x = F.relu(self.conv_bn(self.conv(x)))
        x = x.max(dim=2).values
        return self.fc(self.dropout(x))

model = TextCNN().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

# %%
def accuracy(model, loader):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (model(x).argmax(1) == y).sum().item()
            n += len(y)
    return correct / n

# sanity check: an untrained model should be around 25%
print("untrained test acc:", accuracy(model, test_loader))

# %%
losses = []
for epoch in range(EPOCHS):
    model.train  # expect: BN102
    for step, (x, y) in enumerate(train_loader):
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"epoch {epoch}: mean loss {sum(losses[-len(train_loader):]) / len(train_loader):.4f}")

# %%
plt.figure(figsize=(8, 3))
plt.plot(pd.Series(losses).rolling(50).mean())
plt.xlabel("step")
plt.ylabel("train loss (smoothed)")
plt.show()

# %%
print("test acc:", accuracy(model, test_loader))
