# Kim (2014) CNN for sentence classification, with BatchNorm added to each branch.
# Data: TREC question classification, pre-tokenised into ids (trec_{split}.pt).
import logging
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

logging.basicConfig(level=logging.INFO)
logger = logging.getLogger("kim_cnn")

CONFIG = {
    "vocab_size": 9000,
    "embed_dim": 300,
    "n_filters": 100,
    "kernel_sizes": [3, 4, 5],
    "n_classes": 6,
    "dropout": 0.5,
    "batch_size": 4,  # small batches fit on my laptop GPU
    "lr": 1e-3,
    "epochs": 25,
    "data_dir": "data/trec",
}


def conv_branch(k, n_filters, embed_dim):
    # (N, 1, L, E) -> (N, n_filters, L-k+1, 1)
    return nn.Sequential(
        nn.Conv2d(1, n_filters, kernel_size=(k, embed_dim), bias=False),
        nn.BatchNorm1d(n_filters),  # expect: BN202
        nn.ReLU(inplace=True),
    )


class KimCNN(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embedding = nn.Embedding(cfg["vocab_size"], cfg["embed_dim"], padding_idx=0)
        self.branches = nn.ModuleList(conv_branch(k, cfg["n_filters"], cfg["embed_dim"]) for k in cfg["kernel_sizes"])
        self.classifier = nn.Sequential(
            nn.Dropout(cfg["dropout"]),
            nn.Linear(cfg["n_filters"] * len(cfg["kernel_sizes"]), 128, bias=False),
            nn.BatchNorm1d(64),  # expect: BN201
            nn.ReLU(),
            nn.Linear(128, cfg["n_classes"]),
        )

    def forward(self, ids):
        x = self.embedding(ids).unsqueeze(1)  # (N, 1, L, E)
        pooled = []
        for branch in self.branches:
            h = branch(x).squeeze(3)  # (N, n_filters, L')
            pooled.append(F.max_pool1d(h, h.size(2)).squeeze(2))
        return self.classifier(torch.cat(pooled, dim=1))


def collate(batch):
    ids, labels = zip(*batch)
    max_len = max(5, max(len(s) for s in ids))
    padded = torch.zeros(len(ids), max_len, dtype=torch.long)
    for i, s in enumerate(ids):
        padded[i, :len(s)] = torch.as_tensor(s)
    return padded, torch.as_tensor(labels)


def accuracy(model, loader, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for ids, labels in loader:
            correct += (model(ids.to(device)).argmax(1).cpu() == labels).sum().item()
    return correct / len(loader.dataset)


def main(cfg=CONFIG):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_data = torch.load(os.path.join(cfg["data_dir"], "trec_train.pt"))
    test_data = torch.load(os.path.join(cfg["data_dir"], "trec_test.pt"))
    train_loader = DataLoader(train_data, batch_size=cfg["batch_size"], shuffle=True, collate_fn=collate)  # expect: BN301
    test_loader = DataLoader(test_data, batch_size=100, collate_fn=collate)

    model = KimCNN(cfg).to(device)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95)
    best = 0.0
    for epoch in range(cfg["epochs"]):
        model.train()
        epoch_loss = 0.0
        for ids, labels in train_loader:
            ids, labels = ids.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(ids), labels)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        acc = accuracy(model, test_loader, device)
        logger.info("epoch %d: loss=%.4f test_acc=%.4f", epoch, epoch_loss / len(train_loader), acc)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "kim_cnn_trec.pt")
    logger.info("best test accuracy %.4f", best)


if __name__ == "__main__":
    main()
