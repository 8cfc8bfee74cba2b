# Text CNN: adding BatchNorm after the embedding makes validation accuracy drop
#
# No error at all, it just trains worse than without the BatchNorm, and the
# validation accuracy is ~8 points lower. I use max_len = 128 and
# embed_dim = 128. When I tried max_len=100 I got
#   RuntimeError: running_mean should contain 100 elements not 128
# which confuses me even more.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

VOCAB_SIZE = 20000
EMBED_DIM = 128
MAX_LEN = 128
NUM_CLASSES = 4


class TextCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB_SIZE, EMBED_DIM, padding_idx=0)
        self.bn_emb = nn.BatchNorm1d(EMBED_DIM)
        self.conv = nn.Conv1d(EMBED_DIM, 256, kernel_size=5, padding=2, bias=False)
        self.bn_conv = nn.BatchNorm1d(256)
        self.fc = nn.Linear(256, NUM_CLASSES)

    def forward(self, tokens):          # tokens: (N, L)
        x = self.embedding(tokens)      # (N, L, E)
        x = self.bn_emb(x)  # expect: BN203
        x = x.transpose(1, 2)           # (N, E, L) for Conv1d
        x = F.relu(self.bn_conv(self.conv(x)))
        x = x.max(dim=2).values
        return self.fc(x)


def evaluate(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for tok, lab in loader:
            correct += (model(tok).argmax(1) == lab).sum().item()
    return correct / len(loader.dataset)


# random stand-in for the AG News tensors I load from disk
train_ds = TensorDataset(torch.randint(1, VOCAB_SIZE, (5000, MAX_LEN)), torch.randint(0, NUM_CLASSES, (5000,)))
val_ds = TensorDataset(torch.randint(1, VOCAB_SIZE, (1000, MAX_LEN)), torch.randint(0, NUM_CLASSES, (1000,)))
train_dl = DataLoader(train_ds, batch_size=64, shuffle=True)
val_dl = DataLoader(val_ds, batch_size=256)

model = TextCNN()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(5):
    model.train()
    for tok, lab in train_dl:
        loss = F.cross_entropy(model(tok), lab)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} val acc {evaluate(model, val_dl):.3f}")
