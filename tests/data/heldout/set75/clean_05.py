# news headline classifier (4 classes) - CNN over word embeddings
# followed "text CNN in pytorch" video, added batchnorm + an lstm branch
import re
import pandas as pd
import torch
import torch.nn as nn
from collections import Counter
from torch.utils.data import TensorDataset, DataLoader
import matplotlib.pyplot as plt

SEQ_LEN = 40
EMB = 100
VOCAB = 20000

df = pd.read_csv('ag_news_train.csv', names=['label', 'title', 'desc'])
df_test = pd.read_csv('ag_news_test.csv', names=['label', 'title', 'desc'])
tok = lambda s: re.findall(r"\w+", s.lower())
cnt = Counter(w for t in df.title for w in tok(t))
stoi = {w: i + 2 for i, (w, c) in enumerate(cnt.most_common(VOCAB - 2))}


def to_ids(texts):
    out = torch.zeros(len(texts), SEQ_LEN, dtype=torch.long)
    for r, t in enumerate(texts):
        ids = [stoi.get(w, 1) for w in tok(t)][:SEQ_LEN]
        out[r, :len(ids)] = torch.tensor(ids, dtype=torch.long)
    return out


train_ds = TensorDataset(to_ids(df.title), torch.tensor(df.label.values - 1))
test_ds = TensorDataset(to_ids(df_test.title), torch.tensor(df_test.label.values - 1))
train_dl = DataLoader(train_ds, batch_size=32, shuffle=True)
test_dl = DataLoader(test_ds, batch_size=512)


class TextCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMB, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(EMB)
        self.conv = nn.Conv1d(EMB, 128, kernel_size=3, padding=1, bias=False)
        self.conv_bn = nn.BatchNorm1d(128)
        self.lstm = nn.LSTM(EMB, 64, batch_first=True)
        self.lstm_norm = nn.LayerNorm(64)
        self.head = nn.Linear(128 + 64, 4)

    def forward(self, x):
        e = self.emb(x)                     # B, L, E
        c = e.permute(0, 2, 1)              # B, E, L  (channels first for BN / conv)
        c = self.emb_bn(c)
        c = torch.relu(self.conv_bn(self.conv(c)))
        c = c.max(dim=2).values             # B, 128
        h, _ = self.lstm(e)                 # B, L, 64
        h = self.lstm_norm(h[:, -1, :])
        return self.head(torch.cat([c, h], dim=1))


def evaluate(net):
    net.train(False)
    good = 0
    with torch.no_grad():
        for xb, yb in test_dl:
            good += (net(xb).argmax(1) == yb).sum().item()
    return good / len(test_ds)


net = TextCNN()
opt = torch.optim.AdamW(net.parameters(), lr=2e-3)
lossf = nn.CrossEntropyLoss()
accs = []
for epoch in range(4):
    net.train()
    for step, (xb, yb) in enumerate(train_dl):
        loss = lossf(net(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 500 == 0:
            print(epoch, step, round(loss.item(), 3))
    accs.append(evaluate(net))
    print("epoch", epoch, "test acc", accs[-1])

plt.plot(accs, marker='o')
plt.ylabel('test acc')
plt.show()

classes = ['World', 'Sports', 'Business', 'Sci/Tech']
headline = "Stocks rally after strong tech earnings"
net.eval()
with torch.no_grad():
    print(classes[net(to_ids([headline])).argmax(1).item()])
