"""Conv1d + Transformer encoder for sequence tagging (batch_first layout)."""
import math

import torch
import torch.nn as nn

D_MODEL = 256
N_HEADS = 8


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=512):
        super().__init__()
        pe = torch.zeros(max_len, d_model)
        pos = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return x + self.pe[:, : x.size(1)]


class ConvFrontEnd(nn.Module):
    """Local n-gram features; BatchNorm1d over channels of an (N, C, L) tensor."""

    def __init__(self, vocab_size, d_model=D_MODEL):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_model, padding_idx=0)
        self.conv = nn.Conv1d(d_model, d_model, kernel_size=3, padding=1, bias=False)
        self.bn = nn.BatchNorm1d(d_model)
        self.act = nn.GELU()

    def forward(self, tokens):
        x = self.embed(tokens)          # (N, L, E)
        x = x.transpose(1, 2)           # (N, E, L)
        x = self.act(self.bn(self.conv(x)))
        return x.transpose(1, 2)        # back to (N, L, E)


class Tagger(nn.Module):
    def __init__(self, vocab_size, num_tags, d_model=D_MODEL, layers=4):
        super().__init__()
        self.front = ConvFrontEnd(vocab_size, d_model)
        self.pos = PositionalEncoding(d_model)
        enc_layer = nn.TransformerEncoderLayer(d_model, N_HEADS, dim_feedforward=4 * d_model,
                                               dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(enc_layer, num_layers=layers)
        self.norm = nn.LayerNorm(d_model)
        self.proj = nn.Linear(d_model, d_model, bias=False)
        self.proj_bn = nn.BatchNorm1d(d_model, momentum=0.05)
        self.out = nn.Linear(d_model, num_tags)

    def forward(self, tokens, pad_mask=None):
        x = self.pos(self.front(tokens))
        x = self.norm(self.encoder(x, src_key_padding_mask=pad_mask))
        n, l, e = x.shape
        # flatten tokens so BatchNorm1d sees (N*L, E)
        h = self.proj_bn(self.proj(x.reshape(n * l, e)))
        h = torch.relu(h).view(n, l, e)
        return self.out(h)


@torch.no_grad()
def predict_tags(model, tokens):
    model.eval()
    pad_mask = tokens.eq(0)
    logits = model(tokens, pad_mask)
    return logits.argmax(-1).masked_fill(pad_mask, -1)


if __name__ == "__main__":
    m = Tagger(vocab_size=5000, num_tags=17)
    toks = torch.randint(1, 5000, (4, 40))
    print(predict_tags(m, toks).shape)
