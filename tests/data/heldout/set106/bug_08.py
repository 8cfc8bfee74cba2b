"""DeepFM click-through-rate model on Criteo (categorical fields only).

Preprocessed data: criteo_train.npz / criteo_valid.npz with arrays
``X`` (int64, [n, 26], per-field indices) and ``y`` (float32, [n]).
"""
import argparse
import time

import numpy as np
import torch
import torch.nn as nn
from sklearn.metrics import log_loss, roc_auc_score
from torch.utils.data import DataLoader, TensorDataset

NUM_FIELDS = 26
EMBED_DIM = 16
MLP_DIMS = (400, 400)
DROPOUT = 0.2


class FeaturesLinear(nn.Module):
    def __init__(self, field_dims):
        super().__init__()
        self.fc = nn.Embedding(sum(field_dims), 1)
        self.bias = nn.Parameter(torch.zeros((1,)))

    def forward(self, x):
        return torch.sum(self.fc(x), dim=1) + self.bias


class FactorizationMachine(nn.Module):
    def forward(self, x):
        # x: (batch, num_fields, embed_dim)
        square_of_sum = torch.sum(x, dim=1) ** 2
        sum_of_square = torch.sum(x ** 2, dim=1)
        return 0.5 * torch.sum(square_of_sum - sum_of_square, dim=1, keepdim=True)


class DeepFM(nn.Module):
    def __init__(self, field_dims, embed_dim=EMBED_DIM):
        super().__init__()
        self.register_buffer("offsets", torch.tensor((0, *np.cumsum(field_dims)[:-1]), dtype=torch.long))
        self.embedding = nn.Embedding(sum(field_dims), embed_dim)
        nn.init.xavier_uniform_(self.embedding.weight)
        self.embed_bn = nn.BatchNorm1d(embed_dim)
        self.linear = FeaturesLinear(field_dims)
        self.fm = FactorizationMachine()
        self.embed_output_dim = NUM_FIELDS * embed_dim
        self.mlp = nn.Sequential(
            nn.Linear(self.embed_output_dim, 400),  # expect: BN204
            nn.BatchNorm1d(400),
            nn.ReLU(),
            nn.Dropout(DROPOUT),
            nn.Linear(400, 400, bias=False),
            nn.BatchNorm1d(200),  # expect: BN201
            nn.ReLU(),
            nn.Dropout(DROPOUT),
            nn.Linear(400, 1),
        )

    def forward(self, x):
        x = x + self.offsets.unsqueeze(0)
        emb = self.embedding(x)  # (batch, num_fields, embed_dim)
        emb = self.embed_bn(emb)  # expect: BN203
        logit = self.linear(x) + self.fm(emb) + self.mlp(emb.view(-1, self.embed_output_dim))
        return logit.squeeze(1)


def load_npz(path):
    data = np.load(path)
    return TensorDataset(torch.from_numpy(data["X"]), torch.from_numpy(data["y"]))


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    ys, ps = [], []
    for x, y in loader:
        ps.append(torch.sigmoid(model(x.to(device))).cpu().numpy())
        ys.append(y.numpy())
    y_true, y_pred = np.concatenate(ys), np.concatenate(ps)
    return roc_auc_score(y_true, y_pred), log_loss(y_true, y_pred)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", default="criteo_train.npz")
    parser.add_argument("--valid", default="criteo_valid.npz")
    parser.add_argument("--field-dims", default="field_dims.npy")
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-6)
    args = parser.parse_args()

    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    field_dims = np.load(args.field_dims).tolist()
    train_loader = DataLoader(load_npz(args.train), batch_size=args.batch_size, shuffle=True, num_workers=4)
    valid_loader = DataLoader(load_npz(args.valid), batch_size=8192, num_workers=4)

    model = DeepFM(field_dims).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    criterion = nn.BCEWithLogitsLoss()

    for epoch in range(args.epochs):
        model.train()
        tic = time.time()
        for i, (x, y) in enumerate(train_loader):
            x, y = x.to(device), y.to(device)
            loss = criterion(model(x), y)
            model.zero_grad()
            loss.backward()
            optimizer.step()
            if i % 1000 == 0:
                print(f"epoch {epoch} iter {i} loss {loss.item():.4f}")
        auc, ll = evaluate(model, valid_loader, device)
        print(f"epoch {epoch}: valid auc {auc:.5f} logloss {ll:.5f} ({time.time() - tic:.0f}s)")
        torch.save(model.state_dict(), f"deepfm_epoch{epoch}.pt")


if __name__ == "__main__":
    main()
