import json
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import Dataset, DataLoader

PAD = 0


class TaggingData(Dataset):
    """One JSON object per line: {"tokens": [...ids...], "tags": [...ids...]}"""

    def __init__(self, path):
        with open(path) as fh:
            self.rows = [json.loads(line) for line in fh]

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        r = self.rows[i]
        return torch.tensor(r["tokens"]), torch.tensor(r["tags"])


def collate(batch):
    toks, tags = zip(*batch)
    return (pad_sequence(toks, batch_first=True, padding_value=PAD),
            pad_sequence(tags, batch_first=True, padding_value=-100))


class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size, n_tags, emb=128, hidden=256):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, emb, padding_idx=PAD)
        # BatchNorm over the embedding channels: we move E to dim 1 before applying it
        self.emb_norm = nn.BatchNorm1d(emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True,
                            bidirectional=True, dropout=0.2)
        # normalise the LSTM features per token: flattened to (N*L, 2H)
        self.feat_norm = nn.BatchNorm1d(2 * hidden)
        self.proj = nn.Linear(2 * hidden, hidden)      # bias is fine: LayerNorm follows, not BN
        self.proj_norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, n_tags)

    def forward(self, tokens):
        x = self.embed(tokens)                         # (N, L, E)
        x = self.emb_norm(x.transpose(1, 2)).transpose(1, 2)
        h, _ = self.lstm(x)                            # (N, L, 2H)
        n, l, d = h.shape
        h = self.feat_norm(h.reshape(n * l, d)).view(n, l, d)
        h = torch.relu(self.proj_norm(self.proj(h)))
        return self.out(h)                             # (N, L, n_tags)


def train_epoch(model, loader, opt, device):
    model.train()
    crit = nn.CrossEntropyLoss(ignore_index=-100)
    for tokens, tags in loader:
        tokens, tags = tokens.to(device), tags.to(device)
        logits = model(tokens)
        loss = crit(logits.flatten(0, 1), tags.flatten())
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()


@torch.no_grad()
def token_accuracy(model, loader, device):
    model.eval()
    hit = tot = 0
    for tokens, tags in loader:
        tokens, tags = tokens.to(device), tags.to(device)
        pred = model(tokens).argmax(-1)
        mask = tags != -100
        hit += (pred[mask] == tags[mask]).sum().item()
        tot += mask.sum().item()
    return hit / max(tot, 1)


if __name__ == "__main__":
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with open("vocab.json") as fh:
        meta = json.load(fh)
    train_dl = DataLoader(TaggingData("train.jsonl"), batch_size=32, shuffle=True, collate_fn=collate)
    dev_dl = DataLoader(TaggingData("dev.jsonl"), batch_size=64, collate_fn=collate)
    model = BiLSTMTagger(meta["vocab_size"], meta["n_tags"]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(15):
        train_epoch(model, train_dl, opt, device)
        print(epoch, token_accuracy(model, dev_dl, device))
