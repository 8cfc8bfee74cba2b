"""Token embedding + multi-width 1D convolutions."""
import torch
import torch.nn as nn

import configs as C


class ConvBranch(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size):
        super().__init__()
        self.conv = nn.Conv1d(in_ch, out_ch, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm1d(out_ch)
        self.act = nn.GELU()

    def forward(self, x):                      # x: (N, C, L)
        return self.act(self.bn(self.conv(x)))


class TokenEncoder(nn.Module):
    def __init__(self, vocab_size=C.VOCAB_SIZE, embed_dim=C.EMBED_DIM,
                 channels=C.CONV_CHANNELS, kernel_sizes=C.KERNEL_SIZES):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=C.PAD_ID)
        self.embed_bn = nn.BatchNorm1d(embed_dim)
        self.drop = nn.Dropout(C.DROPOUT)
        self.branches = nn.ModuleList(
            [ConvBranch(embed_dim, channels, k) for k in kernel_sizes]
        )
        self.fuse = nn.Conv1d(channels * len(kernel_sizes), channels, 1, bias=False)
        self.fuse_bn = nn.BatchNorm1d(channels)
        self.out_dim = channels

    def forward(self, tokens):
        x = self.embed(tokens)                 # (N, L, E)
        x = self.embed_bn(x)  # expect: BN203
        x = self.drop(x)
        x = x.transpose(1, 2)                  # (N, E, L) for Conv1d
        x = torch.cat([b(x) for b in self.branches], dim=1)
        x = torch.relu(self.fuse_bn(self.fuse(x)))
        return x
