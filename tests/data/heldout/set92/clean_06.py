# ---
# jupyter:
#   jupytext:
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
# # Week 8 lab: GloVe + CNN/LSTM hybrid on AG News
# Embeddings are frozen (pretrained GloVe). BatchNorm1d normalises over the
# channel axis, so the (N, L, E) embeddings are transposed to (N, E, L) first.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

# %%
EMB_DIM = 100
HIDDEN = 128
N_FILTERS = 128
N_CLASSES = 4
BATCH_SIZE = 128
EPOCHS = 8

device = "cuda" if torch.cuda.is_available() else "cpu"
glove = torch.load("glove_agnews_100d.pt")                 # (vocab, 100), rows aligned with our vocab
train_x, train_y = torch.load("agnews_train_ids.pt")      # prepared in week 7
test_x, test_y = torch.load("agnews_test_ids.pt")
train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=BATCH_SIZE, shuffle=True)
test_loader = DataLoader(TensorDataset(test_x, test_y), batch_size=1024)

# %%
class HybridNet(nn.Module):
    def __init__(self, embeddings):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(embeddings, freeze=False, padding_idx=0)
        self.embedding.weight.requires_grad = False           # frozen GloVe (no BN involved)
        self.emb_bn = nn.BatchNorm1d(EMB_DIM)
        self.conv = nn.Conv1d(EMB_DIM, N_FILTERS, kernel_size=5, padding=2, bias=False)
        self.conv_bn = nn.BatchNorm1d(N_FILTERS)
        self.lstm = nn.LSTM(N_FILTERS, HIDDEN, batch_first=True, bidirectional=True)
        self.seq_norm = nn.LayerNorm(2 * HIDDEN)                # per-token norm on (N, L, 2H)
        self.fc = nn.Linear(2 * HIDDEN, N_CLASSES)

    def forward(self, tokens):
        x = self.embedding(tokens)                  # (N, L, E)
        x = self.emb_bn(x.transpose(1, 2))          # (N, E, L): channels on dim 1
        x = F.relu(self.conv_bn(self.conv(x)))      # (N, F, L)
        out, _ = self.lstm(x.transpose(1, 2))       # (N, L, 2H)
        out = self.seq_norm(out)
        return self.fc(out.mean(dim=1))


model = HybridNet(glove).to(device)
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)

# %%
@torch.no_grad()
def test_accuracy(model):
    model.eval()
    correct = 0
    for x, y in test_loader:
        correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return correct / len(test_y)

print("untrained:", test_accuracy(model))

# %%
step_losses, epoch_acc = [], []
for epoch in range(EPOCHS):
    model.train()
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        step_losses.append(loss.item())
    epoch_acc.append(test_accuracy(model))
    print(f"epoch {epoch}: loss {np.mean(step_losses[-100:]):.4f}  test acc {epoch_acc[-1]:.4f}")

# %%
fig, ax = plt.subplots(1, 2, figsize=(10, 3))
ax[0].plot(np.convolve(step_losses, np.ones(50) / 50, mode="valid"))
ax[0].set_title("train loss")
ax[1].plot(epoch_acc, marker="o")
ax[1].set_title("test accuracy")
plt.show()

# %%
# confusion between "Business" and "Sci/Tech" - look at the logits directly
model.eval()
with torch.no_grad():
    logits = model(test_x[:2000].to(device)).cpu()
pred = logits.argmax(1)
cm = np.zeros((N_CLASSES, N_CLASSES), dtype=int)
for t, p in zip(test_y[:2000].tolist(), pred.tolist()):
    cm[t, p] += 1
plt.imshow(cm, cmap="Blues")
plt.colorbar()
plt.show()
