"""DeepFM for CTR prediction (Avazu-style hashed categorical fields)."""
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

cfg = dict(
    field_dims=[1000, 500, 240, 7, 24, 3000, 3000, 50, 9, 20, 4000, 700, 60, 15, 100, 32],
    embed_dim=16,
    mlp_dims=(256, 128),
    dropout=0.2,
    batch_size=2048,
    lr=1e-3,
    epochs=4,
)


class FeaturesEmbedding(nn.Module):
    def __init__(self, field_dims, embed_dim):
        super().__init__()
        self.offsets = torch.tensor([0] + list(field_dims[:-1])).cumsum(0)
        self.embedding = nn.Embedding(sum(field_dims), embed_dim)
        nn.init.xavier_uniform_(self.embedding.weight)

    def forward(self, x):
        return self.embedding(x + self.offsets)  # (B, num_fields, embed_dim)


class DeepFM(nn.Module):
    def __init__(self, field_dims, embed_dim, mlp_dims, dropout):
        super().__init__()
        num_fields = len(field_dims)
        self.linear = nn.Embedding(sum(field_dims), 1)
        self.register_buffer("offsets", torch.tensor([0] + list(field_dims[:-1])).cumsum(0))
        self.embed = FeaturesEmbedding(field_dims, embed_dim)
        # per-embedding-dim normalisation: BatchNorm1d(E) on (B, E, num_fields)
        self.emb_bn = nn.BatchNorm1d(embed_dim)
        in_dim = num_fields * embed_dim
        layers = []
        for h in mlp_dims:
            layers += [nn.Linear(in_dim, h, bias=False), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            in_dim = h
        layers.append(nn.Linear(in_dim, 1))
        self.mlp = nn.Sequential(*layers)

    def fm(self, e):
        square_of_sum = e.sum(dim=1).pow(2)
        sum_of_square = e.pow(2).sum(dim=1)
        return 0.5 * (square_of_sum - sum_of_square).sum(dim=1, keepdim=True)

    def forward(self, x):
        e = self.embed(x)                                   # (B, F, E)
        e = self.emb_bn(e.transpose(1, 2)).transpose(1, 2)  # normalise over E, per field-position
        lin = self.linear(x + self.offsets).sum(dim=1)
        deep = self.mlp(e.flatten(start_dim=1))             # (B, F*E)
        return (lin + self.fm(e) + deep).squeeze(1)


class AvazuParquet(Dataset):
    def __init__(self, path, field_dims):
        df = pd.read_parquet(path)
        cols = [c for c in df.columns if c != "click"]
        self.x = torch.from_numpy(df[cols].to_numpy() % torch.tensor(field_dims).numpy())
        self.y = torch.from_numpy(df["click"].to_numpy()).float()

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def logloss_and_acc(model, loader):
    model.eval()
    total, n, correct = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            total += nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="sum").item()
            correct += ((logits > 0).float() == y).sum().item()
            n += y.numel()
    return total / n, correct / n


def main():
    model = DeepFM(cfg["field_dims"], cfg["embed_dim"], cfg["mlp_dims"], cfg["dropout"])
    train_dl = DataLoader(AvazuParquet("avazu_train.parquet", cfg["field_dims"]),
                          batch_size=cfg["batch_size"], shuffle=True, num_workers=4)
    valid_dl = DataLoader(AvazuParquet("avazu_valid.parquet", cfg["field_dims"]), batch_size=8192)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], weight_decay=1e-6)

    for epoch in range(cfg["epochs"]):
        model.train()
        for i, (x, y) in enumerate(train_dl):
            loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        ll, acc = logloss_and_acc(model, valid_dl)
        print(f"epoch {epoch}: valid logloss {ll:.5f} acc {acc:.4f}")
    torch.save(model.state_dict(), "deepfm_avazu.pt")


if __name__ == "__main__":
    main()
