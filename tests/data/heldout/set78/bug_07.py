"""BiGRU named-entity tagger with a character CNN for sub-word features.

Batches carry word ids (batch, seq_len) and character ids
(batch, seq_len, MAX_WORD_LEN). Token representations are normalised
per token by flattening the batch and sequence axes together.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

WORD_VOCAB = 50000
CHAR_VOCAB = 120
WORD_DIM = 100
CHAR_DIM = 30
CHAR_FILTERS = 50
MAX_WORD_LEN = 16
HIDDEN = 128
TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


class CharCNN(nn.Module):
    def __init__(self, n_chars=CHAR_VOCAB, char_dim=CHAR_DIM, n_filters=CHAR_FILTERS):
        super().__init__()
        self.emb = nn.Embedding(n_chars, char_dim, padding_idx=0)
        self.char_bn = nn.BatchNorm1d(char_dim)
        self.conv = nn.Conv1d(char_dim, n_filters, kernel_size=3, padding=1, bias=False)
        self.conv_bn = nn.BatchNorm1d(n_filters)

    def forward(self, chars):
        n, l, w = chars.shape
        c = self.emb(chars.view(n * l, w))
        c = self.char_bn(c)  # expect: BN203
        c = c.transpose(1, 2)
        c = F.relu(self.conv_bn(self.conv(c)))
        c = c.max(dim=2).values
        return c.view(n, l, -1)


class NERTagger(nn.Module):
    def __init__(self, n_tags=len(TAGS)):
        super().__init__()
        self.word_emb = nn.Embedding(WORD_VOCAB, WORD_DIM, padding_idx=0)
        self.chars = CharCNN()
        self.drop = nn.Dropout(0.5)
        self.gru = nn.GRU(WORD_DIM + CHAR_FILTERS, HIDDEN, num_layers=1,
                          batch_first=True, bidirectional=True)
        self.tok_bn = nn.BatchNorm1d(HIDDEN)  # expect: BN201
        self.tagger = nn.Linear(2 * HIDDEN, n_tags)

    def forward(self, words, chars):
        x = torch.cat([self.word_emb(words), self.chars(chars)], dim=-1)
        out, _ = self.gru(self.drop(x))
        n, l, _ = out.shape
        flat = out.reshape(n * l, 2 * HIDDEN)
        flat = self.tok_bn(flat)
        logits = self.tagger(self.drop(flat))
        return logits.view(n, l, -1)


def fake_batch(batch_size=32, seq_len=40):
    words = torch.randint(1, WORD_VOCAB, (batch_size, seq_len))
    chars = torch.randint(1, CHAR_VOCAB, (batch_size, seq_len, MAX_WORD_LEN))
    tags = torch.randint(0, len(TAGS), (batch_size, seq_len))
    return words, chars, tags


def train(model, steps=1000, lr=1e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for step in range(steps):
        words, chars, tags = fake_batch()
        logits = model(words, chars)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tags.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        if step % 100 == 0:
            print(f"step {step}: loss {loss.item():.4f}")


def predict_tags(model, words, chars):
    model.eval()
    with torch.no_grad():
        ids = model(words, chars).argmax(-1)
    return [[TAGS[i] for i in row] for row in ids.tolist()]


if __name__ == "__main__":
    tagger = NERTagger()
    train(tagger)
    w, c, _ = fake_batch(batch_size=8)
    for sent in predict_tags(tagger, w, c)[:2]:
        print(" ".join(sent))
