# Kim-style CNN (Conv2d over the embedding "image") with BatchNorm for MR polarity.
# The embedding output (N, L, E) is unsqueezed to (N, 1, L, E) so BatchNorm2d is the
# right variant for the conv maps; after squeezing, the pooled vectors are (N, F).
import argparse
import pickle
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from torch.nn import BatchNorm1d as BN1d
from torch.nn import BatchNorm2d as BN2d

PARAMS = {
    "embed_dim": 300,
    "filter_sizes": (3, 4, 5),
    "num_filters": 100,
    "dropout": 0.5,
    "batch_size": 50,
    "epochs": 20,
    "lr": 1.0,
    "max_len": 56,
}


class KimCNN(nn.Module):
    def __init__(self, vocab_size, n_classes=2, embeddings=None, p=PARAMS):
        super().__init__()
        E, nf = p["embed_dim"], p["num_filters"]
        self.embed = nn.Embedding(vocab_size, E, padding_idx=0)
        if embeddings is not None:
            self.embed.weight.data.copy_(embeddings)
        self.convs = nn.ModuleList()
        self.bns = nn.ModuleList()
        for k in p["filter_sizes"]:
            self.convs.append(nn.Conv2d(1, nf, (k, E), bias=False))
            self.bns.append(BN2d(nf))
        self.out_bn = BN1d(nf * len(p["filter_sizes"]))
        self.drop = nn.Dropout(p["dropout"])
        self.fc = nn.Linear(nf * len(p["filter_sizes"]), n_classes)

    def forward(self, ids):
        x = self.embed(ids).unsqueeze(1)  # (N, 1, L, E)
        feats = []
        for conv, bn in zip(self.convs, self.bns):
            h = F.relu(bn(conv(x)))  # (N, nf, L-k+1, 1)
            h = h.squeeze(3)  # (N, nf, L-k+1)
            feats.append(F.max_pool1d(h, h.size(2)).squeeze(2))  # (N, nf)
        z = self.out_bn(torch.cat(feats, 1))  # (N, nf * 3)
        return self.fc(self.drop(z))


def make_batches(data, word2idx, max_len):
    out = []
    for sent, label in data:
        ids = [word2idx.get(w, 1) for w in sent.split()][:max_len]
        ids += [0] * (max_len - len(ids))
        out.append((torch.tensor(ids), label))
    return out


def evaluate(model, loader):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for ids, y in loader:
            correct += (model(ids).argmax(1) == y).sum().item()
            n += len(y)
    return correct / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pickle", default="mr.p", help="output of process_data.py")
    ap.add_argument("--fold", type=int, default=0)
    args = ap.parse_args()

    with open(args.pickle, "rb") as fh:
        revs, W, word2idx = pickle.load(fh)
    random.seed(3435)
    train = [(r["text"], r["y"]) for r in revs if r["split"] != args.fold]
    test = [(r["text"], r["y"]) for r in revs if r["split"] == args.fold]
    train_loader = DataLoader(make_batches(train, word2idx, PARAMS["max_len"]), batch_size=PARAMS["batch_size"], shuffle=True)
    test_loader = DataLoader(make_batches(test, word2idx, PARAMS["max_len"]), batch_size=PARAMS["batch_size"])

    model = KimCNN(len(word2idx) + 2, embeddings=torch.as_tensor(W))
    optimizer = torch.optim.Adadelta(model.parameters(), lr=PARAMS["lr"], rho=0.95, eps=1e-6)
    for epoch in range(PARAMS["epochs"]):
        model.train()
        for ids, y in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(ids), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 3.0)
            optimizer.step()
        print(f"epoch {epoch + 1}: test acc {evaluate(model, test_loader):.4f}")


if __name__ == "__main__":
    main()
