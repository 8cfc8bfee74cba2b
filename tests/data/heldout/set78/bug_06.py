"""Small Transformer encoder for intent classification of chat utterances.

Utterances are padded/truncated to MAX_LEN tokens. The encoder runs with
batch_first=True; a normalisation layer sits on the encoder output before
masked mean pooling.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 16000
MAX_LEN = 128
D_MODEL = 128
N_HEADS = 4
N_LAYERS = 3
N_INTENTS = 24
PAD = 0


class IntentEncoder(nn.Module):
    def __init__(self, vocab=VOCAB, d_model=D_MODEL, n_heads=N_HEADS,
                 n_layers=N_LAYERS, n_intents=N_INTENTS, max_len=MAX_LEN):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model, padding_idx=PAD)
        self.pos = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model=d_model, nhead=n_heads, dim_feedforward=4 * d_model,
            dropout=0.1, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=n_layers)
        self.seq_bn = nn.BatchNorm1d(d_model)
        self.head = nn.Sequential(
            nn.Linear(d_model, d_model),
            nn.GELU(),
            nn.Dropout(0.1),
            nn.Linear(d_model, n_intents),
        )
        self.scale = math.sqrt(d_model)

    def forward(self, ids):
        pad_mask = ids.eq(PAD)
        positions = torch.arange(ids.size(1), device=ids.device).unsqueeze(0)
        x = self.tok(ids) * self.scale + self.pos(positions)
        h = self.encoder(x, src_key_padding_mask=pad_mask)
        h = self.seq_bn(h)  # expect: BN203
        keep = (~pad_mask).unsqueeze(-1).type_as(h)
        pooled = (h * keep).sum(1) / keep.sum(1).clamp_min(1.0)
        return self.head(pooled)


def random_batch(batch_size, device):
    lengths = torch.randint(4, MAX_LEN + 1, (batch_size,), device=device)
    ids = torch.randint(1, VOCAB, (batch_size, MAX_LEN), device=device)
    ids[torch.arange(MAX_LEN, device=device)[None, :] >= lengths[:, None]] = PAD
    return ids, torch.randint(0, N_INTENTS, (batch_size,), device=device)


def warmup_cosine(step, warmup, total):
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def fit(model, device, total_steps=3000, batch_size=64, eval_every=500):
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: warmup_cosine(s, total_steps // 10, total_steps))
    model.train()
    for step in range(1, total_steps + 1):
        ids, labels = random_batch(batch_size, device)
        loss = F.cross_entropy(model(ids), labels, label_smoothing=0.05)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % eval_every == 0:
            acc = accuracy(model, device)
            model.train()
            print(f"step {step} loss {loss.item():.4f} acc {acc:.3f}")


@torch.no_grad()
def accuracy(model, device, n_batches=8):
    model.eval()
    hits = total = 0
    for _ in range(n_batches):
        ids, labels = random_batch(128, device)
        hits += (model(ids).argmax(-1) == labels).sum().item()
        total += labels.numel()
    return hits / total


if __name__ == "__main__":
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net = IntentEncoder().to(dev)
    fit(net, dev)
    torch.save(net.state_dict(), "intent_encoder.pt")
