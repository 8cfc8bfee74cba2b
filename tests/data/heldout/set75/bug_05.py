# Kaggle: movie review sentiment, my first NLP model :)
import re
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from collections import Counter
from torch.utils.data import Dataset, DataLoader
import matplotlib.pyplot as plt

MAX_LEN = 64
EMBED_DIM = 64
VOCAB_SIZE = 10000
EPOCHS = 6

df = pd.read_csv('../input/imdb-reviews/reviews.csv')
df['label'] = (df['sentiment'] == 'positive').astype(int)
print(df.head())
print(df.label.value_counts())


def tokenize(text):
    text = re.sub(r'<br\s*/?>', ' ', text.lower())
    return re.findall(r"[a-z']+", text)


counter = Counter()
for t in df['review']:
    counter.update(tokenize(t))
# 0 = pad, 1 = unknown
vocab = {w: i + 2 for i, (w, _) in enumerate(counter.most_common(VOCAB_SIZE - 2))}


def encode(text):
    ids = [vocab.get(w, 1) for w in tokenize(text)][:MAX_LEN]
    ids = ids + [0] * (MAX_LEN - len(ids))
    return ids


class ReviewDataset(Dataset):
    def __init__(self, frame):
        self.x = [encode(t) for t in frame['review']]
        self.y = frame['label'].values

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return torch.tensor(self.x[i]), torch.tensor(self.y[i], dtype=torch.float32)


msk = np.random.rand(len(df)) < 0.8
train_ds = ReviewDataset(df[msk])
test_ds = ReviewDataset(df[~msk])
train_loader = DataLoader(train_ds, batch_size=4, shuffle=True)  # expect: BN301
test_loader = DataLoader(test_ds, batch_size=256)


class SentimentNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Sequential(
            nn.Embedding(VOCAB_SIZE, EMBED_DIM, padding_idx=0),
            nn.BatchNorm1d(EMBED_DIM),  # expect: BN203
        )
        self.fc1 = nn.Linear(EMBED_DIM, 32)
        self.fc2 = nn.Linear(32, 1)

    def forward(self, x):
        x = self.embed(x)
        x = x.mean(dim=1)  # average over words
        x = torch.relu(self.fc1(x))
        return self.fc2(x).squeeze(1)


model = SentimentNet()
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

losses = []
model.train  # expect: BN102
for epoch in range(EPOCHS):
    total = 0
    for step, (xb, yb) in enumerate(train_loader):
        logits = model(xb)
        loss = criterion(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        if step % 1000 == 0:
            print(epoch, step, loss.item())
    losses.append(total / len(train_loader))
    print('epoch', epoch, 'avg loss', losses[-1])

plt.plot(losses)
plt.show()

model.eval()
correct = 0
with torch.no_grad():
    for xb, yb in test_loader:
        p = (torch.sigmoid(model(xb)) > 0.5).float()
        correct += (p == yb).sum().item()
print('test accuracy', correct / len(test_ds))

print(torch.sigmoid(model(torch.tensor([encode("this movie was great, loved it")]))).item())
