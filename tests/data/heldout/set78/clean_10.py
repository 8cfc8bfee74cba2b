"""Conformer encoder block for streaming ASR, with a CTC head.

Sequences are kept as (batch, time, dim) everywhere except inside the
convolution module, which works channel-first and uses BatchNorm1d after the
depthwise convolution as in the Conformer paper.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

N_MELS = 80
D_MODEL = 144
N_HEADS = 4
KERNEL = 31
VOCAB = 128  # sentencepiece units + blank


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4, dropout=0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(dim), nn.Linear(dim, dim * mult), nn.SiLU(), nn.Dropout(dropout),
            nn.Linear(dim * mult, dim), nn.Dropout(dropout))

    def forward(self, x):
        return self.net(x)


class ConvModule(nn.Module):
    def __init__(self, dim, kernel=KERNEL, dropout=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.pointwise_in = nn.Conv1d(dim, 2 * dim, 1)
        self.depthwise = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim, bias=False)
        self.bn = nn.BatchNorm1d(dim)
        self.pointwise_out = nn.Conv1d(dim, dim, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        y = rearrange(self.norm(x), "b t d -> b d t")
        y = F.glu(self.pointwise_in(y), dim=1)
        y = F.silu(self.bn(self.depthwise(y)))
        y = self.drop(self.pointwise_out(y))
        return rearrange(y, "b d t -> b t d")


class ConformerBlock(nn.Module):
    def __init__(self, dim=D_MODEL, heads=N_HEADS):
        super().__init__()
        self.ff1 = FeedForward(dim)
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=0.1, batch_first=True)
        self.conv = ConvModule(dim)
        self.ff2 = FeedForward(dim)
        self.final_norm = nn.LayerNorm(dim)

    def forward(self, x, pad_mask=None):
        x = x + 0.5 * self.ff1(x)
        q = self.attn_norm(x)
        x = x + self.attn(q, q, q, key_padding_mask=pad_mask, need_weights=False)[0]
        x = x + self.conv(x)
        x = x + 0.5 * self.ff2(x)
        return self.final_norm(x)


class Subsampler(nn.Module):
    """Two stride-2 Conv2d layers over (time, mel) -> 4x shorter sequence."""

    def __init__(self, dim=D_MODEL, n_mels=N_MELS):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, dim, 3, stride=2, bias=False), nn.BatchNorm2d(dim), nn.ReLU(),
            nn.Conv2d(dim, dim, 3, stride=2, bias=False), nn.BatchNorm2d(dim), nn.ReLU())
        freq = ((n_mels - 1) // 2 - 1) // 2
        self.proj = nn.Linear(dim * freq, dim)

    def forward(self, feats):
        x = self.conv(rearrange(feats, "b t f -> b 1 t f"))
        return self.proj(rearrange(x, "b c t f -> b t (c f)"))


class ConformerCTC(nn.Module):
    def __init__(self, depth=8):
        super().__init__()
        self.subsample = Subsampler()
        self.blocks = nn.ModuleList([ConformerBlock() for _ in range(depth)])
        self.ctc = nn.Linear(D_MODEL, VOCAB)

    def forward(self, feats):
        x = self.subsample(feats)
        for blk in self.blocks:
            x = blk(x)
        return self.ctc(x).log_softmax(-1)


def train(model, steps=300, batch_size=16):
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.98))
    model.train()
    for step in range(steps):
        feats = torch.randn(batch_size, 400, N_MELS)
        targets = torch.randint(1, VOCAB, (batch_size, 30))
        log_probs = model(feats)
        in_lens = torch.full((batch_size,), log_probs.size(1), dtype=torch.long)
        tgt_lens = torch.full((batch_size,), 30, dtype=torch.long)
        loss = ctc(log_probs.transpose(0, 1), targets, in_lens, tgt_lens)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            print(step, loss.item())


def greedy_decode(model, feats):
    model.eval()
    with torch.no_grad():
        best = model(feats).argmax(-1)
    return [torch.unique_consecutive(row)[torch.unique_consecutive(row) != 0].tolist() for row in best]


if __name__ == "__main__":
    net = ConformerCTC()
    train(net)
    print(greedy_decode(net, torch.randn(8, 400, N_MELS))[0][:20])
