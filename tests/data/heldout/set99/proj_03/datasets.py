"""TSV text classification datasets (label \t text) with a simple vocabulary."""
import collections
import csv
import re

import torch
from torch.utils.data import Dataset

PAD, UNK = '<pad>', '<unk>'
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:'[a-z]+)?|[^\sA-Za-z0-9]")


def tokenize(text, lower=True):
    if lower:
        text = text.lower()
    return _TOKEN_RE.findall(text)


class Vocab(object):
    def __init__(self, counter, min_freq=1, max_size=None):
        self.itos = [PAD, UNK]
        for tok, freq in counter.most_common(max_size):
            if freq < min_freq:
                break
            self.itos.append(tok)
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        unk = self.stoi[UNK]
        return [self.stoi.get(t, unk) for t in tokens]

    @classmethod
    def build(cls, texts, min_freq=2, max_size=50000):
        counter = collections.Counter()
        for t in texts:
            counter.update(tokenize(t))
        return cls(counter, min_freq=min_freq, max_size=max_size)


def read_tsv(path):
    labels, texts = [], []
    with open(path, newline='', encoding='utf-8') as f:
        for row in csv.reader(f, delimiter='\t', quoting=csv.QUOTE_NONE):
            if len(row) < 2:
                continue
            labels.append(row[0])
            texts.append(row[1])
    return labels, texts


class TextClassificationDataset(Dataset):
    def __init__(self, path, vocab=None, label2id=None, max_len=300, min_freq=2):
        labels, texts = read_tsv(path)
        self.vocab = vocab if vocab is not None else Vocab.build(texts, min_freq=min_freq)
        if label2id is None:
            label2id = {l: i for i, l in enumerate(sorted(set(labels)))}
        self.label2id = label2id
        self.max_len = max_len
        self.examples = [(self.vocab.encode(tokenize(t))[:max_len], label2id[l])
                         for l, t in zip(labels, texts)]

    def __len__(self):
        return len(self.examples)

    def __getitem__(self, idx):
        ids, label = self.examples[idx]
        return torch.tensor(ids, dtype=torch.long), label


def make_collate(max_len, pad_id=0):
    """Pads every batch to ``max_len`` so that the CNN input length is fixed."""
    def collate(batch):
        tokens = torch.full((len(batch), max_len), pad_id, dtype=torch.long)
        labels = torch.empty(len(batch), dtype=torch.long)
        for i, (ids, label) in enumerate(batch):
            n = min(len(ids), max_len)
            if n > 0:
                tokens[i, :n] = ids[:n]
            labels[i] = label
        return tokens, labels
    return collate


def load_glove(path, vocab, dim=300):
    emb = torch.randn(len(vocab), dim) * 0.1
    emb[0].zero_()
    found = 0
    with open(path, encoding='utf-8') as f:
        for line in f:
            parts = line.rstrip().split(' ')
            if len(parts) != dim + 1:
                continue
            idx = vocab.stoi.get(parts[0])
            if idx is not None:
                emb[idx] = torch.tensor([float(x) for x in parts[1:]])
                found += 1
    return emb, found
