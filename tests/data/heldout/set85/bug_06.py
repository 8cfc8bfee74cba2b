"""Protein family classifier: amino-acid tokens -> embedding -> CNN -> family.

Sequences are long (up to 1000 residues), so the batch size is kept small to
fit the GPU.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

AMINO = "ACDEFGHIKLMNPQRSTVWYX"
TOK = {a: i + 1 for i, a in enumerate(AMINO)}

CONFIG = {
    "max_len": 1000,
    "emb_dim": 64,
    "channels": 256,
    "batch_size": 4,
    "lr": 5e-4,
    "epochs": 10,
}


class FastaFamilies(Dataset):
    def __init__(self, path, max_len):
        self.items = []
        with open(path) as fh:
            for line in fh:
                fam, seq = line.rstrip("\n").split("\t")
                self.items.append((int(fam), seq[:max_len]))
        self.max_len = max_len

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        fam, seq = self.items[i]
        ids = torch.zeros(self.max_len, dtype=torch.long)
        ids[: len(seq)] = torch.tensor([TOK.get(a, TOK["X"]) for a in seq])
        return ids, fam


class ProtCNN(nn.Module):
    def __init__(self, n_families, emb_dim=64, channels=256):
        super().__init__()
        self.embed = nn.Embedding(len(AMINO) + 1, emb_dim, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(emb_dim)
        self.conv1 = nn.Conv1d(emb_dim, channels, 9, padding=4, bias=False)
        self.bn1 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, 9, padding=8, dilation=2, bias=False)
        self.bn2 = nn.BatchNorm1d(channels)
        self.out = nn.Linear(channels, n_families)

    def forward(self, ids):
        x = self.embed(ids)                  # (N, L, E)
        x = self.emb_bn(x)  # expect: BN203
        x = x.transpose(1, 2)                # (N, E, L) for the convolutions
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x))) + x
        return self.out(x.max(dim=2).values)


def main():
    with open("families.txt") as fh:
        n_families = sum(1 for _ in fh)
    train_ds = FastaFamilies("pfam_train.tsv", CONFIG["max_len"])
    dev_ds = FastaFamilies("pfam_dev.tsv", CONFIG["max_len"])
    train_loader = DataLoader(train_ds, batch_size=CONFIG["batch_size"], shuffle=True)  # expect: BN301
    dev_loader = DataLoader(dev_ds, batch_size=64)

    device = torch.device("cuda")
    model = ProtCNN(n_families, CONFIG["emb_dim"], CONFIG["channels"]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=CONFIG["lr"])

    for epoch in range(CONFIG["epochs"]):
        model.train()
        for step, (ids, fam) in enumerate(train_loader):
            ids, fam = ids.to(device), fam.to(device)
            loss = F.cross_entropy(model(ids), fam)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 1000 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")

        model.eval()
        correct = total = 0
        with torch.no_grad():
            for ids, fam in dev_loader:
                pred = model(ids.to(device)).argmax(1).cpu()
                correct += (pred == fam).sum().item()
                total += fam.numel()
        print(f"epoch {epoch}: dev acc {correct / total:.4f}")


if __name__ == "__main__":
    main()
