import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 8000
EMB = 64
HIDDEN = 128


class TagScorer(nn.Module):
    def __init__(self, vocab=VOCAB, emb=EMB, hidden=HIDDEN, n_tags=17):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb)
        self.emb_norm = nn.BatchNorm1d(emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * hidden, hidden * 2, bias=False)
        self.proj_bn = nn.BatchNorm1d(hidden)  # expect: BN201
        self.ctx_bn = nn.BatchNorm1d(hidden * 2, 0.9)  # expect: BN206
        self.out = nn.Linear(hidden * 2, n_tags)

    def forward(self, tokens):
        x = self.embed(tokens)
        x = self.emb_norm(x)  # expect: BN203
        h, _ = self.lstm(x)
        n, l, d = h.shape
        z = self.ctx_bn(h.reshape(n * l, d))
        z = F.relu(self.proj_bn(self.proj(z)))
        return self.out(z).view(n, l, -1)


def batches(n, bs=32, seq=40):
    for _ in range(n):
        yield torch.randint(0, VOCAB, (bs, seq)), torch.randint(0, 17, (bs, seq))


@torch.no_grad()
def tag_accuracy(model, data):
    model.eval()
    hit = tot = 0
    for toks, tags in data:
        pred = model(toks).argmax(-1)
        hit += (pred == tags).sum().item()
        tot += tags.numel()
    model.train()
    return hit / tot


def main():
    model = TagScorer()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(4):
        for toks, tags in batches(100):
            logits = model(toks)
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tags.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(epoch, tag_accuracy(model, batches(5)))


if __name__ == "__main__":
    main()
