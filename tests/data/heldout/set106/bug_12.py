"""Promoter / non-promoter classification of DNA sequences (k-mer tokens + GRU).

Trains, then ships a TorchScript module for the annotation service.
"""
import argparse
import itertools
import os

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

K = 3
KMERS = ["".join(p) for p in itertools.product("ACGT", repeat=K)]
VOCAB = {kmer: i + 2 for i, kmer in enumerate(KMERS)}  # 0 = pad, 1 = unknown
VOCAB_SIZE = len(VOCAB) + 2
EMB = 64
HID = 128
SEQ_LEN = 300


def kmerize(seq):
    seq = seq.upper()
    ids = [VOCAB.get(seq[i:i + K], 1) for i in range(0, len(seq) - K + 1)]
    ids = ids[:SEQ_LEN]
    return ids + [0] * (SEQ_LEN - len(ids))


class FastaPairs(Dataset):
    """Reads `label<TAB>sequence` lines."""

    def __init__(self, path):
        self.items = []
        with open(path) as f:
            for line in f:
                lab, seq = line.strip().split("\t")
                self.items.append((torch.tensor(kmerize(seq)), float(lab)))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


class PromoterNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Embedding(VOCAB_SIZE, EMB, padding_idx=0),
            nn.BatchNorm1d(EMB),  # expect: BN203
            nn.Dropout(0.1),
        )
        self.gru = nn.GRU(EMB, HID, batch_first=True)
        self.head = nn.Sequential(
            nn.BatchNorm1d(HID, momentum=0.9),  # expect: BN205
            nn.Linear(HID, 1),
        )

    def forward(self, ids):
        x = self.encoder(ids)  # (N, L, EMB)
        _, h = self.gru(x)
        return self.head(h[-1]).squeeze(-1)


def evaluate(net, loader):
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for ids, y in loader:
            correct += ((net(ids) > 0).float() == y).sum().item()
            total += len(y)
    return correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", default="promoters_train.tsv")
    parser.add_argument("--test", default="promoters_test.tsv")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--export", default="export/promoter_net.pt")
    args = parser.parse_args()

    train_loader = DataLoader(FastaPairs(args.train), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(FastaPairs(args.test), batch_size=512)

    net = PromoterNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    bce = nn.BCEWithLogitsLoss()
    for epoch in range(args.epochs):
        net.train()
        for ids, y in train_loader:
            opt.zero_grad()
            loss = bce(net(ids), y.float())
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: last batch loss {loss.item():.4f}")

    os.makedirs(os.path.dirname(args.export), exist_ok=True)
    example = torch.randint(0, VOCAB_SIZE, (8, SEQ_LEN))
    scripted = torch.jit.trace(net, example)  # expect: BN104
    scripted.save(args.export)

    print(f"test accuracy: {evaluate(net, test_loader):.4f}")


if __name__ == "__main__":
    main()
