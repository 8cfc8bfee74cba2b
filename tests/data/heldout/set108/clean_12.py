"""
AG_NEWS text classification (torchtext tutorial) -- three model variants:
  bag : EmbeddingBag -> BatchNorm1d -> Linear           (the tutorial model + BN)
  cnn : Embedding -> Conv1d/BatchNorm1d over time -> max-pool
  gru : Embedding -> BiGRU -> BatchNorm1d on channels-first features
"""
import argparse
import time

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader
from torch.utils.data.dataset import random_split
from torchtext.data.functional import to_map_style_dataset
from torchtext.data.utils import get_tokenizer
from torchtext.datasets import AG_NEWS
from torchtext.vocab import build_vocab_from_iterator

parser = argparse.ArgumentParser()
parser.add_argument("--model", choices=["bag", "cnn", "gru"], default="bag")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--lr", type=float, default=5.0)
parser.add_argument("--batch-size", type=int, default=64)
args = parser.parse_args()

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
tokenizer = get_tokenizer("basic_english")


def yield_tokens(data_iter):
    for _, text in data_iter:
        yield tokenizer(text)


vocab = build_vocab_from_iterator(yield_tokens(AG_NEWS(split="train")), specials=["<pad>", "<unk>"])
vocab.set_default_index(vocab["<unk>"])
PAD = vocab["<pad>"]

text_pipeline = lambda x: vocab(tokenizer(x))
label_pipeline = lambda x: int(x) - 1


def collate_bag(batch):
    label_list, text_list, offsets = [], [], [0]
    for _label, _text in batch:
        label_list.append(label_pipeline(_label))
        processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
        text_list.append(processed_text)
        offsets.append(processed_text.size(0))
    label_list = torch.tensor(label_list, dtype=torch.int64)
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    text_list = torch.cat(text_list)
    return label_list.to(device), (text_list.to(device), offsets.to(device))


def collate_padded(batch, max_len=128):
    labels = torch.tensor([label_pipeline(l) for l, _ in batch], dtype=torch.int64)
    texts = [torch.tensor(text_pipeline(t)[:max_len], dtype=torch.int64) for _, t in batch]
    texts = pad_sequence(texts, batch_first=True, padding_value=PAD)
    return labels.to(device), (texts.to(device),)


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.bn = nn.BatchNorm1d(embed_dim)       # (N, E) input
        self.fc = nn.Linear(embed_dim, num_class)

    def forward(self, text, offsets):
        embedded = self.embedding(text, offsets)
        return self.fc(self.bn(embedded))


class ConvTextClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class, channels=128, kernel_size=5):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.conv = nn.Conv1d(embed_dim, channels, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm1d(channels)
        self.fc = nn.Linear(channels, num_class)

    def forward(self, text):
        x = self.embedding(text)          # (N, L, E)
        x = x.permute(0, 2, 1)            # (N, E, L)
        x = torch.relu(self.bn(self.conv(x)))
        x = x.max(dim=2).values           # (N, C)
        return self.fc(x)


class GRUClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class, hidden=128):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.emb_norm = nn.LayerNorm(embed_dim)   # LayerNorm is fine on (N, L, E)
        self.rnn = nn.GRU(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.bn = nn.BatchNorm1d(2 * hidden)
        self.fc = nn.Linear(2 * hidden, num_class)

    def forward(self, text):
        x = self.emb_norm(self.embedding(text))   # (N, L, E)
        out, _ = self.rnn(x)                      # (N, L, 2H)
        out = self.bn(out.transpose(1, 2))        # (N, 2H, L)
        pooled = out.mean(dim=2)                  # (N, 2H)
        return self.fc(pooled)


train_iter = AG_NEWS(split="train")
num_class = len(set([label for (label, text) in train_iter]))
vocab_size = len(vocab)
emsize = 64

if args.model == "bag":
    model = TextClassificationModel(vocab_size, emsize, num_class).to(device)
    collate = collate_bag
elif args.model == "cnn":
    model = ConvTextClassifier(vocab_size, emsize, num_class).to(device)
    collate = collate_padded
else:
    model = GRUClassifier(vocab_size, emsize, num_class).to(device)
    collate = collate_padded


def train(dataloader, epoch):
    model.train()
    total_acc, total_count = 0, 0
    log_interval = 500
    start_time = time.time()

    for idx, (label, inputs) in enumerate(dataloader):
        optimizer.zero_grad()
        predicted_label = model(*inputs)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
        if idx % log_interval == 0 and idx > 0:
            elapsed = time.time() - start_time
            print("| epoch {:3d} | {:5d}/{:5d} batches | accuracy {:8.3f} | {:5.1f}s".format(
                epoch, idx, len(dataloader), total_acc / total_count, elapsed))
            total_acc, total_count = 0, 0
            start_time = time.time()


def evaluate(dataloader):
    model.eval()
    total_acc, total_count = 0, 0
    with torch.no_grad():
        for idx, (label, inputs) in enumerate(dataloader):
            predicted_label = model(*inputs)
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
    return total_acc / total_count


criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
total_accu = None

train_iter, test_iter = AG_NEWS()
train_dataset = to_map_style_dataset(train_iter)
test_dataset = to_map_style_dataset(test_iter)
num_train = int(len(train_dataset) * 0.95)
split_train_, split_valid_ = random_split(train_dataset, [num_train, len(train_dataset) - num_train])

train_dataloader = DataLoader(split_train_, batch_size=args.batch_size, shuffle=True, collate_fn=collate, drop_last=True)
valid_dataloader = DataLoader(split_valid_, batch_size=args.batch_size, shuffle=False, collate_fn=collate)
test_dataloader = DataLoader(test_dataset, batch_size=args.batch_size, shuffle=False, collate_fn=collate)

for epoch in range(1, args.epochs + 1):
    epoch_start_time = time.time()
    train(train_dataloader, epoch)
    accu_val = evaluate(valid_dataloader)
    if total_accu is not None and total_accu > accu_val:
        scheduler.step()
    else:
        total_accu = accu_val
    print("-" * 59)
    print("| end of epoch {:3d} | time: {:5.2f}s | valid accuracy {:8.3f} ".format(
        epoch, time.time() - epoch_start_time, accu_val))
    print("-" * 59)

print("Checking the results of test dataset.")
accu_test = evaluate(test_dataloader)
print("test accuracy {:8.3f}".format(accu_test))
