"""
Distributed training of a CNN text classifier (AG News style CSV: label,title,text).

torchrun --nproc_per_node=4 train_textcnn_ddp.py --train data/train.csv --valid data/test.csv
"""
import argparse
import csv
import os
import re
from collections import Counter

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

PAD, UNK = 0, 1
MAX_LEN = 128
EMBED_DIM = 300


def tokenize(text):
    return re.findall(r"[a-z0-9']+", text.lower())


def build_vocab(path, min_freq=3, max_size=50000):
    counter = Counter()
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            counter.update(tokenize(row[1] + " " + row[2]))
    itos = ["<pad>", "<unk>"] + [w for w, c in counter.most_common(max_size) if c >= min_freq]
    return {w: i for i, w in enumerate(itos)}


class NewsDataset(Dataset):
    def __init__(self, path, vocab):
        self.samples = []
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                ids = [vocab.get(t, UNK) for t in tokenize(row[1] + " " + row[2])][:MAX_LEN]
                ids += [PAD] * (MAX_LEN - len(ids))
                self.samples.append((torch.tensor(ids), int(row[0]) - 1))

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, idx):
        return self.samples[idx]


class TextCNN(nn.Module):
    def __init__(self, vocab_size, num_classes=4, embed_dim=EMBED_DIM, n_filters=256, kernel_sizes=(3, 4, 5)):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.emb_norm = nn.BatchNorm1d(embed_dim)
        self.convs = nn.ModuleList()
        for k in kernel_sizes:
            self.convs.append(nn.Sequential(
                nn.Conv1d(embed_dim, n_filters, k, padding=k // 2, bias=False),
                nn.BatchNorm1d(n_filters),
                nn.ReLU(inplace=True),
            ))
        feat = n_filters * len(kernel_sizes)
        self.classifier = nn.Sequential(
            nn.Dropout(0.5),
            nn.Linear(feat, 256, bias=False),
            nn.BatchNorm2d(256),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Linear(256, num_classes),
        )

    def forward(self, tokens):
        x = self.embedding(tokens)          # (B, L, E)
        x = self.emb_norm(x)  # expect: BN203
        x = x.transpose(1, 2)               # (B, E, L) for Conv1d
        pooled = [F.adaptive_max_pool1d(conv(x), 1).squeeze(-1) for conv in self.convs]
        return self.classifier(torch.cat(pooled, dim=1))


def get_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--valid", required=True)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--ckpt", default="textcnn.pt")
    return parser.parse_args()


def run_validation(model, loader, device):
    model.eval()
    stats = torch.zeros(2, device=device)
    with torch.no_grad():
        for tokens, labels in loader:
            tokens, labels = tokens.to(device), labels.to(device)
            preds = model(tokens).argmax(dim=1)
            stats[0] += (preds == labels).sum()
            stats[1] += labels.numel()
    dist.all_reduce(stats)
    model.train()
    return (stats[0] / stats[1]).item()


def main():
    args = get_args()
    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    torch.cuda.set_device(local_rank)
    device = torch.device(f"cuda:{local_rank}")

    vocab = build_vocab(args.train)
    train_ds = NewsDataset(args.train, vocab)
    valid_ds = NewsDataset(args.valid, vocab)
    train_sampler = DistributedSampler(train_ds, shuffle=True, seed=13)
    valid_sampler = DistributedSampler(valid_ds, shuffle=False)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=train_sampler, num_workers=2)
    valid_loader = DataLoader(valid_ds, batch_size=256, sampler=valid_sampler, num_workers=2)

    model = TextCNN(len(vocab)).to(device)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = DistributedDataParallel(model, device_ids=[local_rank])
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    model.train()
    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        for it, (tokens, labels) in enumerate(train_loader):
            tokens, labels = tokens.to(device), labels.to(device)
            loss = F.cross_entropy(model(tokens), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if rank == 0 and it % 200 == 0:
                print(f"epoch {epoch} iter {it} loss {loss.item():.4f}")
        acc = run_validation(model, valid_loader, device)
        if rank == 0:
            print(f"== epoch {epoch}: valid acc {acc:.4f}")
            torch.save({"vocab": vocab, "state_dict": model.module.state_dict()}, args.ckpt)

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
