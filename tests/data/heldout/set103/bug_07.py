"""
4 - Convolutional Sentiment Analysis (+ BatchNorm experiment)

Based on the classic "pytorch-sentiment-analysis" tutorial series. The data
is a pre-tokenised IMDb dump (one JSON line per review) produced by
`prepare_imdb.py`, so the script does not need torchtext any more.
"""
import json
import random
import time
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, Dataset
from torch.nn.utils.rnn import pad_sequence

SEED = 1234
random.seed(SEED)
torch.manual_seed(SEED)
torch.backends.cudnn.deterministic = True

MAX_VOCAB_SIZE = 25_000
BATCH_SIZE = 64
PAD_IDX, UNK_IDX = 0, 1


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


train_data = read_jsonl("data/imdb_train.jsonl")
test_data = read_jsonl("data/imdb_test.jsonl")
random.shuffle(train_data)
split = int(0.7 * len(train_data))
train_data, valid_data = train_data[:split], train_data[split:]

counter = Counter(tok for ex in train_data for tok in ex["tokens"])
itos = ["<pad>", "<unk>"] + [w for w, _ in counter.most_common(MAX_VOCAB_SIZE)]
stoi = {w: i for i, w in enumerate(itos)}


class ReviewDataset(Dataset):
    def __init__(self, examples, min_len=5):
        self.examples = examples
        self.min_len = min_len

    def __len__(self):
        return len(self.examples)

    def __getitem__(self, i):
        ex = self.examples[i]
        ids = [stoi.get(t, UNK_IDX) for t in ex["tokens"]]
        ids += [PAD_IDX] * max(0, self.min_len - len(ids))
        return torch.tensor(ids), torch.tensor(float(ex["label"]))


def collate(batch):
    texts, labels = zip(*batch)
    return pad_sequence(texts, batch_first=True, padding_value=PAD_IDX), torch.stack(labels)


train_iterator = DataLoader(ReviewDataset(train_data), batch_size=BATCH_SIZE, shuffle=True, collate_fn=collate)
valid_iterator = DataLoader(ReviewDataset(valid_data), batch_size=BATCH_SIZE, collate_fn=collate)
test_iterator = DataLoader(ReviewDataset(test_data), batch_size=BATCH_SIZE, collate_fn=collate)


class CNN(nn.Module):
    def __init__(self, vocab_size, embedding_dim, n_filters, filter_sizes, output_dim,
                 dropout, pad_idx):
        super().__init__()

        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
        # normalise the word vectors before the convolutions
        self.emb_bn = nn.BatchNorm1d(embedding_dim)

        self.convs = nn.ModuleList([
            nn.Conv2d(in_channels=1, out_channels=n_filters, kernel_size=(fs, embedding_dim))
            for fs in filter_sizes
        ])

        self.fc1 = nn.Linear(len(filter_sizes) * n_filters, 64)  # expect: BN204
        self.fc1_bn = nn.BatchNorm1d(64)
        self.fc2 = nn.Linear(64, output_dim)

        self.dropout = nn.Dropout(dropout)

    def forward(self, text):
        # text = [batch size, sent len]
        embedded = self.embedding(text)
        # embedded = [batch size, sent len, emb dim]
        embedded = self.emb_bn(embedded)  # expect: BN203
        embedded = embedded.unsqueeze(1)
        # embedded = [batch size, 1, sent len, emb dim]
        conved = [F.relu(conv(embedded)).squeeze(3) for conv in self.convs]
        # conved_n = [batch size, n_filters, sent len - filter_sizes[n] + 1]
        pooled = [F.max_pool1d(conv, conv.shape[2]).squeeze(2) for conv in conved]
        # pooled_n = [batch size, n_filters]
        cat = self.dropout(torch.cat(pooled, dim=1))
        # cat = [batch size, n_filters * len(filter_sizes)]
        hidden = F.relu(self.fc1_bn(self.fc1(cat)))
        return self.fc2(self.dropout(hidden))


INPUT_DIM = len(itos)
EMBEDDING_DIM = 100
N_FILTERS = 100
FILTER_SIZES = [3, 4, 5]
OUTPUT_DIM = 1
DROPOUT = 0.5

model = CNN(INPUT_DIM, EMBEDDING_DIM, N_FILTERS, FILTER_SIZES, OUTPUT_DIM, DROPOUT, PAD_IDX)


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


print(f'The model has {count_parameters(model):,} trainable parameters')

optimizer = optim.Adam(model.parameters())
criterion = nn.BCEWithLogitsLoss()

device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
model = model.to(device)
criterion = criterion.to(device)


def binary_accuracy(preds, y):
    """
    Returns accuracy per batch, i.e. if you get 8/10 right, this returns 0.8, NOT 8
    """
    rounded_preds = torch.round(torch.sigmoid(preds))
    correct = (rounded_preds == y).float()
    return correct.sum() / len(correct)


def train(model, iterator, optimizer, criterion):
    epoch_loss = 0
    epoch_acc = 0
    model.train()
    for text, label in iterator:
        text, label = text.to(device), label.to(device)
        optimizer.zero_grad()
        predictions = model(text).squeeze(1)
        loss = criterion(predictions, label)
        acc = binary_accuracy(predictions, label)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
        epoch_acc += acc.item()
    return epoch_loss / len(iterator), epoch_acc / len(iterator)


def evaluate(model, iterator, criterion):
    epoch_loss = 0
    epoch_acc = 0
    model.eval()
    with torch.no_grad():
        for text, label in iterator:
            text, label = text.to(device), label.to(device)
            predictions = model(text).squeeze(1)
            loss = criterion(predictions, label)
            acc = binary_accuracy(predictions, label)
            epoch_loss += loss.item()
            epoch_acc += acc.item()
    return epoch_loss / len(iterator), epoch_acc / len(iterator)


def epoch_time(start_time, end_time):
    elapsed_time = end_time - start_time
    elapsed_mins = int(elapsed_time / 60)
    elapsed_secs = int(elapsed_time - (elapsed_mins * 60))
    return elapsed_mins, elapsed_secs


N_EPOCHS = 5
best_valid_loss = float('inf')

for epoch in range(N_EPOCHS):
    start_time = time.time()
    train_loss, train_acc = train(model, train_iterator, optimizer, criterion)
    valid_loss, valid_acc = evaluate(model, valid_iterator, criterion)
    end_time = time.time()
    epoch_mins, epoch_secs = epoch_time(start_time, end_time)

    if valid_loss < best_valid_loss:
        best_valid_loss = valid_loss
        torch.save(model.state_dict(), 'tut4-model.pt')

    print(f'Epoch: {epoch+1:02} | Epoch Time: {epoch_mins}m {epoch_secs}s')
    print(f'\tTrain Loss: {train_loss:.3f} | Train Acc: {train_acc*100:.2f}%')
    print(f'\t Val. Loss: {valid_loss:.3f} |  Val. Acc: {valid_acc*100:.2f}%')

model.load_state_dict(torch.load('tut4-model.pt'))
test_loss, test_acc = evaluate(model, test_iterator, criterion)
print(f'Test Loss: {test_loss:.3f} | Test Acc: {test_acc*100:.2f}%')
