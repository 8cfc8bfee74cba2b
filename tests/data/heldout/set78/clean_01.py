"""Convolutional-recurrent text classifier for news topic labelling (AG News style).

Token embeddings are normalised and convolved channel-first, then handed to a
batch-first bidirectional LSTM; the max-pooled states feed a small MLP head.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 40000
EMB = 300
CONV_CH = 256
HIDDEN = 192
N_TOPICS = 4
SEQ_LEN = 300


class ConvLSTMClassifier(nn.Module):
    def __init__(self, vocab=VOCAB, emb=EMB, conv_ch=CONV_CH, hidden=HIDDEN, n_topics=N_TOPICS):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(emb)
        self.conv = nn.Conv1d(emb, conv_ch, kernel_size=5, padding=2, bias=False)
        self.conv_bn = nn.BatchNorm1d(conv_ch)
        self.lstm = nn.LSTM(conv_ch, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, hidden, bias=False)
        self.fc_bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(hidden, n_topics)

    def forward(self, ids):
        x = self.embedding(ids)
        x = x.transpose(1, 2)
        x = self.emb_bn(x)
        x = F.relu(self.conv_bn(self.conv(x)))
        x = x.transpose(1, 2)
        states, _ = self.lstm(x)
        pooled = states.max(dim=1).values
        h = F.relu(self.fc_bn(self.fc(self.drop(pooled))))
        return self.out(self.drop(h))


def synthetic_batch(batch_size):
    ids = torch.randint(1, VOCAB, (batch_size, SEQ_LEN))
    cut = torch.randint(20, SEQ_LEN, (batch_size, 1))
    ids = ids.masked_fill(torch.arange(SEQ_LEN)[None, :] >= cut, 0)
    return ids, torch.randint(0, N_TOPICS, (batch_size,))


def train_epoch(model, opt, steps, batch_size, device):
    model.train()
    total = 0.0
    for _ in range(steps):
        ids, y = synthetic_batch(batch_size)
        ids, y = ids.to(device), y.to(device)
        loss = F.cross_entropy(model(ids), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=3.0)
        opt.step()
        total += loss.item()
    return total / steps


@torch.no_grad()
def evaluate(model, batches, device):
    model.eval()
    correct = seen = 0
    for _ in range(batches):
        ids, y = synthetic_batch(128)
        pred = model(ids.to(device)).argmax(dim=1).cpu()
        correct += (pred == y).sum().item()
        seen += y.numel()
    return correct / seen


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = ConvLSTMClassifier().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    best = 0.0
    for epoch in range(8):
        loss = train_epoch(model, opt, steps=150, batch_size=64, device=device)
        acc = evaluate(model, batches=10, device=device)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "conv_lstm_best.pt")
        print(f"epoch {epoch} loss {loss:.4f} acc {acc:.3f} best {best:.3f}")


if __name__ == "__main__":
    main()
