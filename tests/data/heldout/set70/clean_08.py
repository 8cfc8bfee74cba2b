"""BatchNorm1d on LSTM outputs: val accuracy stuck at ~50% on IMDB

I added BatchNorm1d after my LSTM because training without it was slow.
No error is raised, training loss goes down a bit, but validation accuracy stays
at chance. Without the BatchNorm layer the same model reaches ~86%.
Sequences are padded/truncated to 256 tokens, hidden size is 256.

EDIT: solved - BatchNorm1d wants (N, C, L), so transpose around it.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

MAX_LEN = 256
EMBED_DIM = 128
HIDDEN = 256


class ReviewDataset(Dataset):
    def __init__(self, path, vocab):
        self.items = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                label, text = line.rstrip("\n").split("\t", 1)
                ids = [vocab.get(tok, 1) for tok in text.lower().split()][:MAX_LEN]
                ids += [0] * (MAX_LEN - len(ids))
                self.items.append((torch.tensor(ids), int(label)))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


class SentimentLSTM(nn.Module):
    def __init__(self, vocab_size, num_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, EMBED_DIM, padding_idx=0)
        self.lstm = nn.LSTM(EMBED_DIM, HIDDEN, num_layers=1, batch_first=True)
        self.bn = nn.BatchNorm1d(HIDDEN)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(HIDDEN, num_classes)

    def forward(self, tokens):
        emb = self.embedding(tokens)
        out, _ = self.lstm(emb)
        out = self.bn(out.transpose(1, 2)).transpose(1, 2)
        out = out.max(dim=1).values
        return self.fc(self.dropout(out))


def build_vocab(path, max_size=20000):
    counts = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            for tok in line.rstrip("\n").split("\t", 1)[1].lower().split():
                counts[tok] = counts.get(tok, 0) + 1
    words = sorted(counts, key=counts.get, reverse=True)[: max_size - 2]
    return {w: i + 2 for i, w in enumerate(words)}


def accuracy(model, loader, device):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for tokens, labels in loader:
            preds = model(tokens.to(device)).argmax(1).cpu()
            correct += (preds == labels).sum().item()
            total += labels.numel()
    return correct / total


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    vocab = build_vocab("imdb/train.tsv")
    train_ds = ReviewDataset("imdb/train.tsv", vocab)
    val_ds = ReviewDataset("imdb/test.tsv", vocab)
    train_loader = DataLoader(train_ds, batch_size=64, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256)

    model = SentimentLSTM(vocab_size=len(vocab) + 2).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)

    for epoch in range(8):
        model.train()
        for tokens, labels in train_loader:
            tokens, labels = tokens.to(device), labels.to(device)
            loss = F.cross_entropy(model(tokens), labels)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        print(f"epoch {epoch}: last loss {loss.item():.4f}, val acc {accuracy(model, val_loader, device):.4f}")


if __name__ == "__main__":
    main()
