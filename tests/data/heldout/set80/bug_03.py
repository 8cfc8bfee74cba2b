"""Sentence classifier: embedding -> BiGRU -> pooled MLP head."""
import torch
import torch.nn as nn

VOCAB_SIZE = 30000
EMBED_DIM = 128
HIDDEN = 256
MAX_LEN = 64


class TokenEncoder(nn.Module):
    def __init__(self, vocab_size=VOCAB_SIZE, embed_dim=EMBED_DIM, pad_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_idx)
        self.emb_norm = nn.BatchNorm1d(embed_dim)
        self.dropout = nn.Dropout(0.2)

    def forward(self, tokens):
        x = self.embedding(tokens)
        x = self.emb_norm(x)  # expect: BN203
        return self.dropout(x)


class GRUClassifier(nn.Module):
    def __init__(self, num_classes=4, hidden=HIDDEN):
        super().__init__()
        self.encoder = TokenEncoder()
        self.rnn = nn.GRU(EMBED_DIM, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(
            nn.Linear(2 * hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden, momentum=0.9),  # expect: BN205
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, tokens, lengths=None):
        x = self.encoder(tokens)
        out, _ = self.rnn(x)
        if lengths is not None:
            mask = (torch.arange(out.size(1), device=out.device)[None, :] < lengths[:, None]).float()
            pooled = (out * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        else:
            pooled = out.mean(dim=1)
        return self.head(pooled)


def collate(batch, pad_idx=0):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([min(len(s), MAX_LEN) for s in seqs])
    padded = torch.full((len(seqs), MAX_LEN), pad_idx, dtype=torch.long)
    for i, s in enumerate(seqs):
        s = s[:MAX_LEN]
        padded[i, : len(s)] = torch.as_tensor(s)
    return padded, lengths, torch.tensor(labels)


def train_step(model, batch, optimizer, criterion):
    model.train()
    tokens, lengths, labels = batch
    optimizer.zero_grad(set_to_none=True)
    logits = model(tokens, lengths)
    loss = criterion(logits, labels)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item()


if __name__ == "__main__":
    model = GRUClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    crit = nn.CrossEntropyLoss()
    fake = [([int(t) for t in torch.randint(1, VOCAB_SIZE, (n,))], n % 4) for n in range(20, 52)]
    print(train_step(model, collate(fake), opt, crit))
