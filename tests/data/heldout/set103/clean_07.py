"""
Convolutional + recurrent sentiment analysis on a pre-tokenised IMDb dump,
with normalisation layers in the right places (reference solution for the
NLP lab).  Two models:

  * TextCNN: Embedding -> permute to (N, E, L) -> BatchNorm1d(E) -> Conv1d
  * BiLSTM:  Embedding -> LayerNorm(E) -> LSTM(batch_first) -> last state
             (N, 2H) -> BatchNorm1d(2H) -> Linear
"""
import json
import random
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torch.nn.utils.rnn import pad_sequence

SEED = 1234
random.seed(SEED)
torch.manual_seed(SEED)

CONFIG = {
    "max_vocab": 25_000,
    "batch_size": 64,
    "emb_dim": 100,
    "n_filters": 100,
    "filter_sizes": (3, 4, 5),
    "hidden": 128,
    "epochs": 5,
}
PAD_IDX, UNK_IDX = 0, 1


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


class ReviewDataset(Dataset):
    def __init__(self, examples, stoi, min_len=5):
        self.examples, self.stoi, self.min_len = examples, stoi, min_len

    def __len__(self):
        return len(self.examples)

    def __getitem__(self, i):
        ex = self.examples[i]
        ids = [self.stoi.get(t, UNK_IDX) for t in ex["tokens"]]
        ids += [PAD_IDX] * max(0, self.min_len - len(ids))
        return torch.tensor(ids), torch.tensor(float(ex["label"]))


def collate(batch):
    texts, labels = zip(*batch)
    return pad_sequence(texts, batch_first=True, padding_value=PAD_IDX), torch.stack(labels)


class TextCNN(nn.Module):
    def __init__(self, vocab_size, emb_dim, n_filters, filter_sizes, dropout=0.5):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD_IDX)
        self.emb_bn = nn.BatchNorm1d(emb_dim)
        self.convs = nn.ModuleList([nn.Conv1d(emb_dim, n_filters, fs, bias=False) for fs in filter_sizes])
        self.conv_bns = nn.ModuleList([nn.BatchNorm1d(n_filters) for _ in filter_sizes])
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(len(filter_sizes) * n_filters, 1)

    def forward(self, text):
        embedded = self.embedding(text)            # [N, L, E]
        embedded = embedded.permute(0, 2, 1)       # [N, E, L]
        embedded = self.emb_bn(embedded)
        conved = [F.relu(bn(conv(embedded))) for conv, bn in zip(self.convs, self.conv_bns)]
        pooled = [F.max_pool1d(c, c.shape[2]).squeeze(2) for c in conved]
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))


class BiLSTM(nn.Module):
    def __init__(self, vocab_size, emb_dim, hidden, dropout=0.5):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD_IDX)
        self.emb_norm = nn.LayerNorm(emb_dim)      # (N, L, E): LayerNorm, not BatchNorm1d
        self.rnn = nn.LSTM(emb_dim, hidden, batch_first=True, bidirectional=True)
        self.bn = nn.BatchNorm1d(2 * hidden)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden, 1)

    def forward(self, text):
        embedded = self.emb_norm(self.embedding(text))   # [N, L, E]
        outputs, (hidden, cell) = self.rnn(embedded)     # outputs: [N, L, 2H]
        last = torch.cat((hidden[-2], hidden[-1]), dim=1)  # [N, 2H]
        last = self.bn(last)
        return self.fc(self.dropout(last))


def binary_accuracy(preds, y):
    rounded = torch.round(torch.sigmoid(preds))
    return (rounded == y).float().mean()


def train(model, iterator, optimizer, criterion, device):
    model.train()
    epoch_loss = epoch_acc = 0.0
    for text, label in iterator:
        text, label = text.to(device), label.to(device)
        optimizer.zero_grad()
        predictions = model(text).squeeze(1)
        loss = criterion(predictions, label)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
        epoch_acc += binary_accuracy(predictions, label).item()
    return epoch_loss / len(iterator), epoch_acc / len(iterator)


def evaluate(model, iterator, criterion, device):
    model.eval()
    epoch_loss = epoch_acc = 0.0
    with torch.no_grad():
        for text, label in iterator:
            text, label = text.to(device), label.to(device)
            predictions = model(text).squeeze(1)
            epoch_loss += criterion(predictions, label).item()
            epoch_acc += binary_accuracy(predictions, label).item()
    return epoch_loss / len(iterator), epoch_acc / len(iterator)


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data = read_jsonl("data/imdb_train.jsonl")
    test_data = read_jsonl("data/imdb_test.jsonl")
    random.shuffle(data)
    split = int(0.8 * len(data))
    train_data, valid_data = data[:split], data[split:]

    counter = Counter(t for ex in train_data for t in ex["tokens"])
    itos = ["<pad>", "<unk>"] + [w for w, _ in counter.most_common(CONFIG["max_vocab"])]
    stoi = {w: i for i, w in enumerate(itos)}

    bs = CONFIG["batch_size"]
    train_it = DataLoader(ReviewDataset(train_data, stoi), batch_size=bs, shuffle=True, collate_fn=collate, drop_last=True)
    valid_it = DataLoader(ReviewDataset(valid_data, stoi), batch_size=bs, collate_fn=collate)
    test_it = DataLoader(ReviewDataset(test_data, stoi), batch_size=bs, collate_fn=collate)

    models = {
        "cnn": TextCNN(len(itos), CONFIG["emb_dim"], CONFIG["n_filters"], CONFIG["filter_sizes"]),
        "bilstm": BiLSTM(len(itos), CONFIG["emb_dim"], CONFIG["hidden"]),
    }
    criterion = nn.BCEWithLogitsLoss()
    for name, model in models.items():
        model = model.to(device)
        optimizer = torch.optim.Adam(model.parameters())
        best = float("inf")
        for epoch in range(CONFIG["epochs"]):
            tr_loss, tr_acc = train(model, train_it, optimizer, criterion, device)
            va_loss, va_acc = evaluate(model, valid_it, criterion, device)
            if va_loss < best:
                best = va_loss
                torch.save(model.state_dict(), f"{name}.pt")
            print(f"[{name}] epoch {epoch + 1}: train {tr_loss:.3f}/{tr_acc:.3f}  valid {va_loss:.3f}/{va_acc:.3f}")
        model.load_state_dict(torch.load(f"{name}.pt"))
        te_loss, te_acc = evaluate(model, test_it, criterion, device)
        print(f"[{name}] test loss {te_loss:.3f}  test acc {te_acc * 100:.2f}%")


if __name__ == "__main__":
    main()
