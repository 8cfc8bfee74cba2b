"""Part-of-speech tagger: embeddings + stacked BiGRU + token-level BatchNorm MLP.

All per-token normalisation is done on (batch * seq_len, features) matrices so
that every token counts as one sample for the batch statistics.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 25000
EMB = 128
HIDDEN = 64
N_TAGS = 17  # universal POS tags
PAD = 0


class TokenMLP(nn.Module):
    def __init__(self, in_dim, hidden_dim, n_out):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden_dim, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, n_out)

    def forward(self, x):
        return self.fc2(F.relu(self.bn1(self.fc1(x))))


class POSTagger(nn.Module):
    def __init__(self, vocab=VOCAB, emb=EMB, hidden=HIDDEN, n_tags=N_TAGS):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb, padding_idx=PAD)
        self.emb_bn = nn.BatchNorm1d(emb)
        self.gru = nn.GRU(emb, hidden, num_layers=2, batch_first=True,
                          bidirectional=True, dropout=0.2)
        self.state_bn = nn.BatchNorm1d(2 * hidden)
        self.mlp = TokenMLP(2 * hidden, hidden, n_tags)

    def forward(self, ids):
        n, l = ids.shape
        e = self.emb(ids)
        e = self.emb_bn(e.view(n * l, EMB)).view(n, l, EMB)
        states, _ = self.gru(e)
        flat = states.contiguous().view(-1, states.size(-1))
        flat = self.state_bn(flat)
        logits = self.mlp(flat)
        return logits.view(n, l, -1)


def batch_of_sentences(batch_size, max_len=50):
    lengths = torch.randint(5, max_len + 1, (batch_size,))
    ids = torch.randint(1, VOCAB, (batch_size, max_len))
    mask = torch.arange(max_len)[None, :] < lengths[:, None]
    ids = ids * mask
    tags = torch.randint(0, N_TAGS, (batch_size, max_len)).masked_fill(~mask, -100)
    return ids, tags


def train(model, steps=800, batch_size=32):
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.999)
    model.train()
    for step in range(steps):
        ids, tags = batch_of_sentences(batch_size)
        logits = model(ids)
        loss = F.cross_entropy(logits.reshape(-1, N_TAGS), tags.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.4f}")


def token_accuracy(model, n_batches=10):
    model.eval()
    hit = tot = 0
    with torch.no_grad():
        for _ in range(n_batches):
            ids, tags = batch_of_sentences(64)
            pred = model(ids).argmax(-1)
            valid = tags != -100
            hit += (pred[valid] == tags[valid]).sum().item()
            tot += valid.sum().item()
    return hit / tot


if __name__ == "__main__":
    tagger = POSTagger()
    train(tagger)
    print("token accuracy", token_accuracy(tagger))
