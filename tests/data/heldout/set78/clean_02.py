"""Transformer encoder for toxic-comment detection with a BatchNorm projection head.

Sequence-level representations use LayerNorm; the pooled sentence vectors are
normalised with BatchNorm1d before the multi-label classifier.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 32000
D_MODEL = 256
MAX_LEN = 256
N_LABELS = 6
CLS_ID = 1
PAD_ID = 0


class ToxicityModel(nn.Module):
    def __init__(self, vocab=VOCAB, d_model=D_MODEL, max_len=MAX_LEN, n_labels=N_LABELS):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d_model, padding_idx=PAD_ID)
        self.positions = nn.Parameter(torch.zeros(1, max_len, d_model))
        self.emb_norm = nn.LayerNorm(d_model)
        block = nn.TransformerEncoderLayer(d_model, nhead=8, dim_feedforward=1024,
                                           dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(block, num_layers=4)
        self.cls_bn = nn.BatchNorm1d(d_model)
        self.mean_bn = nn.BatchNorm1d(d_model)
        self.proj = nn.Linear(2 * d_model, d_model, bias=False)
        self.proj_bn = nn.BatchNorm1d(d_model)
        self.classifier = nn.Linear(d_model, n_labels)
        nn.init.trunc_normal_(self.positions, std=0.02)

    def forward(self, ids):
        pad = ids == PAD_ID
        x = self.tokens(ids) + self.positions[:, : ids.size(1)]
        x = self.emb_norm(x)
        h = self.encoder(x, src_key_padding_mask=pad)
        cls_vec = self.cls_bn(h[:, 0])
        keep = (~pad).float().unsqueeze(-1)
        mean_vec = (h * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
        mean_vec = self.mean_bn(mean_vec)
        z = torch.cat([cls_vec, mean_vec], dim=-1)
        z = F.gelu(self.proj_bn(self.proj(z)))
        return self.classifier(z)


def make_batch(batch_size, device):
    lengths = torch.randint(16, MAX_LEN + 1, (batch_size,))
    ids = torch.randint(2, VOCAB, (batch_size, MAX_LEN))
    ids[:, 0] = CLS_ID
    ids[torch.arange(MAX_LEN)[None, :] >= lengths[:, None]] = PAD_ID
    labels = (torch.rand(batch_size, N_LABELS) < 0.1).float()
    return ids.to(device), labels.to(device)


def train(model, device, epochs=3, steps=200, batch_size=32):
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    pos_weight = torch.full((N_LABELS,), 5.0, device=device)
    for epoch in range(epochs):
        model.train()
        for step in range(steps):
            ids, labels = make_batch(batch_size, device)
            logits = model(ids)
            loss = F.binary_cross_entropy_with_logits(logits, labels, pos_weight=pos_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        print(f"epoch {epoch} loss {loss.item():.4f} val_f1 {validate(model, device):.3f}")


@torch.no_grad()
def validate(model, device, batches=5):
    model.eval()
    tp = fp = fn = 0.0
    for _ in range(batches):
        ids, labels = make_batch(64, device)
        pred = (torch.sigmoid(model(ids)) > 0.5).float()
        tp += (pred * labels).sum().item()
        fp += (pred * (1 - labels)).sum().item()
        fn += ((1 - pred) * labels).sum().item()
    return 2 * tp / max(2 * tp + fp + fn, 1.0)


if __name__ == "__main__":
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net = ToxicityModel().to(dev)
    train(net, dev)
