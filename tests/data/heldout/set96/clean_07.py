"""Conv + GRU + Transformer sentence classifier; features moved to dim 1 before every BN."""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 30000
EMB = 200
CONV = 128
HID = 256


class SeqClassifier(nn.Module):
    def __init__(self, n_classes=5, pad_idx=0):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMB, padding_idx=pad_idx)
        self.emb_bn = nn.BatchNorm1d(EMB)
        self.conv = nn.Conv1d(EMB, CONV, kernel_size=3, padding=1, bias=False)
        self.conv_bn = nn.BatchNorm1d(CONV)
        self.rnn = nn.GRU(CONV, HID, batch_first=True)
        self.rnn_bn = nn.BatchNorm1d(HID)
        layer = nn.TransformerEncoderLayer(HID, nhead=8, dim_feedforward=512, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.enc_norm = nn.LayerNorm(HID)               # (N, L, E): LayerNorm, not BN
        self.pool_bn = nn.BatchNorm1d(HID)
        self.out = nn.Linear(HID, n_classes)

    def forward(self, tokens, pad_mask):
        x = self.embed(tokens)                          # (N, L, EMB)
        x = self.emb_bn(x.transpose(1, 2))              # (N, EMB, L)
        x = F.relu(self.conv_bn(self.conv(x)))          # (N, CONV, L)
        h, _ = self.rnn(x.permute(0, 2, 1))             # (N, L, HID)
        n, l, e = h.shape
        h = self.rnn_bn(h.reshape(n * l, e)).view(n, l, e)   # BN over (N*L, HID)
        h = self.enc_norm(self.encoder(h, src_key_padding_mask=pad_mask))
        keep = (~pad_mask).float().unsqueeze(-1)
        pooled = (h * keep).sum(1) / keep.sum(1).clamp(min=1.0)   # (N, HID)
        return self.out(self.pool_bn(pooled))


class CharCNN(nn.Module):
    """Character encoder: embeddings permuted to (N, E, L) before BN."""

    def __init__(self, n_chars=128, emb=32, width=64):
        super().__init__()
        self.embed = nn.Embedding(n_chars, emb)
        self.bn0 = nn.BatchNorm1d(emb)
        self.conv = nn.Conv1d(emb, width, 5, padding=2, bias=False)
        self.bn1 = nn.BatchNorm1d(width)

    def forward(self, chars):
        x = self.embed(chars).permute(0, 2, 1).contiguous()   # (N, emb, L)
        x = F.relu(self.bn1(self.conv(self.bn0(x))))
        return x.max(dim=2).values


def train_epoch(model, loader, optimizer, device="cuda"):
    model.train()
    for tokens, pad_mask, labels in loader:
        tokens, pad_mask, labels = tokens.to(device), pad_mask.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(tokens, pad_mask), labels)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
