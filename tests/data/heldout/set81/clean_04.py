import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 5000
EMB = 128
HID = 96
SEQ = 128


class SentenceClassifier(nn.Module):
    def __init__(self, vocab=VOCAB, emb=EMB, hid=HID, n_classes=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(emb)
        self.conv = nn.Conv1d(emb, hid, kernel_size=3, padding=1, bias=False)
        self.conv_bn = nn.BatchNorm1d(hid)
        self.rnn = nn.GRU(hid, hid, batch_first=True, bidirectional=True)
        self.rnn_bn = nn.BatchNorm1d(2 * hid)
        self.proj = nn.Linear(2 * hid, n_classes)

    def forward(self, tokens):
        x = self.embed(tokens)
        x = self.emb_bn(x.transpose(1, 2))
        x = F.relu(self.conv_bn(self.conv(x)))
        x = x.permute(0, 2, 1).contiguous()
        out, _ = self.rnn(x)
        n, l, d = out.shape
        out = self.rnn_bn(out.reshape(n * l, d)).view(n, l, d)
        mask = (tokens != 0).unsqueeze(-1).float()
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.proj(pooled)


def batches(n_batches, batch_size=32):
    for _ in range(n_batches):
        toks = torch.randint(1, VOCAB, (batch_size, SEQ))
        toks[:, -10:] = 0
        yield toks, torch.randint(0, 4, (batch_size,))


@torch.no_grad()
def evaluate(model, data):
    model.eval()
    hits = n = 0
    for toks, y in data:
        hits += (model(toks).argmax(-1) == y).sum().item()
        n += y.numel()
    model.train()
    return hits / n


def main():
    model = SentenceClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for epoch in range(3):
        for toks, y in batches(50):
            loss = F.cross_entropy(model(toks), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        sched.step()
        print(epoch, evaluate(model, batches(5, batch_size=2)))


if __name__ == "__main__":
    main()
