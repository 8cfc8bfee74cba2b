"""DeepFM with embedding BatchNorm for Avazu CTR prediction.

The field embeddings are (batch, num_fields, k). They are normalised per
embedding dimension by folding the fields into the batch axis: (batch * num_fields, k).
"""
import argparse
import logging
from functools import partial

import numpy as np
import torch
import torch.nn as nn
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, Dataset

logger = logging.getLogger("deepfm")


class AvazuNpy(Dataset):
    def __init__(self, prefix):
        self.x = np.load(prefix + "_x.npy", mmap_mode="r")
        self.y = np.load(prefix + "_y.npy", mmap_mode="r")

    def __len__(self):
        return self.y.shape[0]

    def __getitem__(self, i):
        return torch.as_tensor(np.array(self.x[i]), dtype=torch.long), torch.as_tensor(float(self.y[i]))


def mlp(input_dim, dims, dropout, norm=partial(nn.BatchNorm1d, momentum=0.05)):
    layers = []
    for d in dims:
        layers += [nn.Linear(input_dim, d, bias=False), norm(d), nn.ReLU(), nn.Dropout(dropout)]
        input_dim = d
    layers.append(nn.Linear(input_dim, 1))
    return nn.Sequential(*layers)


class DeepFM(nn.Module):
    def __init__(self, field_dims, k=10, mlp_dims=(256, 128, 64), dropout=0.1):
        super().__init__()
        self.num_fields, self.k = len(field_dims), k
        offsets = np.concatenate([[0], np.cumsum(field_dims)[:-1]])
        self.register_buffer("offsets", torch.as_tensor(offsets, dtype=torch.long))
        total = int(sum(field_dims))
        self.first_order = nn.Embedding(total, 1)
        self.bias = nn.Parameter(torch.zeros(1))
        self.embedding = nn.Embedding(total, k)
        self.emb_bn = nn.BatchNorm1d(k)
        self.deep = mlp(self.num_fields * k, mlp_dims, dropout)

    def forward(self, x):
        x = x + self.offsets
        e = self.embedding(x)  # (B, F, k)
        B = e.size(0)
        e = self.emb_bn(e.reshape(B * self.num_fields, self.k)).view(B, self.num_fields, self.k)
        first = self.first_order(x).sum(dim=1) + self.bias
        fm = 0.5 * (e.sum(1).pow(2) - e.pow(2).sum(1)).sum(1, keepdim=True)
        deep = self.deep(e.flatten(start_dim=1))  # (B, F * k)
        return (first + fm + deep).squeeze(1)


def evaluate(model, loader, device):
    model.eval()
    scores, labels = [], []
    with torch.inference_mode():
        for x, y in loader:
            scores.append(torch.sigmoid(model(x.to(device))).cpu())
            labels.append(y)
    return roc_auc_score(torch.cat(labels).numpy(), torch.cat(scores).numpy())


def main():
    logging.basicConfig(level=logging.INFO)
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="avazu")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    field_dims = np.load(f"{args.data}/field_dims.npy").tolist()
    train_dl = DataLoader(AvazuNpy(f"{args.data}/train"), batch_size=args.batch_size, shuffle=True, num_workers=8, pin_memory=True)
    valid_dl = DataLoader(AvazuNpy(f"{args.data}/valid"), batch_size=16384, num_workers=8)

    model = DeepFM(field_dims).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.BCEWithLogitsLoss()
    for epoch in range(args.epochs):
        model.train()
        for step, (x, y) in enumerate(train_dl):
            logits = model(x.to(device))
            loss = criterion(logits, y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 2000 == 0:
                logger.info("epoch %d step %d loss %.5f", epoch, step, loss.item())
        auc = evaluate(model, valid_dl, device)
        logger.info("epoch %d valid AUC %.5f", epoch, auc)
        torch.save(model.state_dict(), f"deepfm_avazu_e{epoch}.pt")


if __name__ == "__main__":
    main()
