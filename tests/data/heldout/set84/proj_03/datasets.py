"""Intent classification data: one `label<TAB>utterance` per line."""
import os

import torch
from torch.utils.data import Dataset

import configs as C


class Vocab:
    def __init__(self, path=C.VOCAB_FILE):
        with open(path, encoding="utf-8") as f:
            words = [w.rstrip("\n") for w in f]
        self.itos = ["<pad>", "<unk>"] + words
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def encode(self, text):
        return [self.stoi.get(w, C.UNK_ID) for w in text.lower().split()][: C.MAX_LEN]

    def __len__(self):
        return len(self.itos)


class IntentDataset(Dataset):
    def __init__(self, split, vocab, label_map=None):
        path = os.path.join(C.DATA_DIR, f"{split}.tsv")
        self.samples = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                label, text = line.rstrip("\n").split("\t", 1)
                self.samples.append((label, text))
        if label_map is None:
            label_map = {l: i for i, l in enumerate(sorted({s[0] for s in self.samples}))}
        self.label_map = label_map
        self.vocab = vocab

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, idx):
        label, text = self.samples[idx]
        ids = self.vocab.encode(text) or [C.UNK_ID]
        return torch.tensor(ids, dtype=torch.long), self.label_map[label]


def pad_collate(batch):
    """Pads every batch to MAX_LEN so that shapes are static (helps cudnn / torch.compile)."""
    tokens = torch.full((len(batch), C.MAX_LEN), C.PAD_ID, dtype=torch.long)
    lengths = torch.zeros(len(batch), dtype=torch.long)
    labels = torch.zeros(len(batch), dtype=torch.long)
    for i, (ids, y) in enumerate(batch):
        tokens[i, : len(ids)] = ids
        lengths[i] = len(ids)
        labels[i] = y
    return tokens, lengths, labels
