"""Session-based next-item recommendation (GRU4Rec with a user-context tower).

Stage 2 of the pipeline: adapt a model pretrained on the large marketplace
log to a new regional storefront, keeping the normalisation statistics of
the pretrained model frozen.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

NUM_ITEMS = 50_000
NUM_USER_FEATS = 32
MAX_LEN = 64
HIDDEN = 64
BATCH = 256


class GRU4RecPlus(nn.Module):
    def __init__(self):
        super().__init__()
        self.item_emb = nn.Embedding(NUM_ITEMS + 1, HIDDEN, padding_idx=0)
        self.gru = nn.GRU(HIDDEN, HIDDEN, num_layers=1, batch_first=True)
        self.seq_bn = nn.BatchNorm1d(HIDDEN)
        self.user_tower = nn.Sequential(
            nn.Linear(NUM_USER_FEATS, 512, bias=False),
            nn.BatchNorm1d(512),
            nn.ReLU(),
            nn.Linear(512, 256, bias=False),
            nn.BatchNorm1d(256, 256),  # expect: BN206
            nn.ReLU(),
            nn.Linear(256, HIDDEN),
        )

    def forward(self, items, lengths, user_feats):
        seq, _ = self.gru(self.item_emb(items))           # (B, MAX_LEN, HIDDEN)
        seq = self.seq_bn(seq)  # expect: BN203
        last = seq[torch.arange(seq.size(0)), lengths - 1]  # (B, HIDDEN)
        query = last + self.user_tower(user_feats)
        return query @ self.item_emb.weight[1:].T          # scores over all items


class Sessions(Dataset):
    def __init__(self, path):
        blob = torch.load(path)
        self.items, self.lengths = blob["items"], blob["lengths"]
        self.user, self.target = blob["user"], blob["target"]

    def __len__(self):
        return self.target.numel()

    def __getitem__(self, i):
        return self.items[i], self.lengths[i], self.user[i], self.target[i]


def freeze_bn(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.eval()
            for p in m.parameters():
                p.requires_grad_(False)


@torch.no_grad()
def recall_at_k(model, loader, k=20):
    model.eval()
    hits = total = 0
    for items, lengths, user, target in loader:
        topk = model(items, lengths, user).topk(k, dim=1).indices + 1
        hits += (topk == target.unsqueeze(1)).any(1).sum().item()
        total += target.numel()
    return hits / total


def main():
    model = GRU4RecPlus()
    model.load_state_dict(torch.load("gru4rec_marketplace.pt"))
    freeze_bn(model)

    train_loader = DataLoader(Sessions("region_train.pt"), batch_size=BATCH, shuffle=True, drop_last=True)
    val_loader = DataLoader(Sessions("region_val.pt"), batch_size=1024)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=2e-4)

    for epoch in range(8):
        model.train()  # expect: BN105
        for items, lengths, user, target in train_loader:
            logits = model(items, lengths, user)
            loss = F.cross_entropy(logits, target - 1)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: recall@20 = {recall_at_k(model, val_loader):.4f}")

    torch.save(model.state_dict(), "gru4rec_region.pt")


if __name__ == "__main__":
    main()
