"""LeViT-style hybrid: convolutional stem + attention blocks that use
BatchNorm instead of LayerNorm (BN can be folded into the linear layers at
inference time).
"""
import itertools

import torch
import torch.nn as nn


class ConvNorm(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel_size=3, stride=2, padding=1, bn_weight_init=1.0):
        super().__init__()
        self.add_module("c", nn.Conv2d(in_ch, out_ch, kernel_size, stride, padding, bias=False))
        bn = nn.BatchNorm2d(out_ch)
        nn.init.constant_(bn.weight, bn_weight_init)
        nn.init.zeros_(bn.bias)
        self.add_module("bn", bn)


class LinearNorm(nn.Module):
    """Linear on (B, N, C) tokens followed by BatchNorm1d over C."""

    def __init__(self, in_features, out_features, bn_weight_init=1.0):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias=False)
        self.bn = nn.BatchNorm1d(out_features)
        nn.init.constant_(self.bn.weight, bn_weight_init)

    def forward(self, x):
        x = self.linear(x)
        return self.bn(x.flatten(0, 1)).reshape_as(x)


class Attention(nn.Module):
    def __init__(self, dim, key_dim=16, num_heads=4, attn_ratio=2, resolution=14):
        super().__init__()
        self.num_heads = num_heads
        self.scale = key_dim ** -0.5
        self.key_dim = key_dim
        self.d = int(attn_ratio * key_dim)
        self.dh = self.d * num_heads
        h = self.dh + key_dim * num_heads * 2
        self.qkv = LinearNorm(dim, h)
        self.proj = nn.Sequential(nn.Hardswish(), LinearNorm(self.dh, dim, bn_weight_init=0.0))

        points = list(itertools.product(range(resolution), range(resolution)))
        offsets, idxs = {}, []
        for p1 in points:
            for p2 in points:
                off = (abs(p1[0] - p2[0]), abs(p1[1] - p2[1]))
                if off not in offsets:
                    offsets[off] = len(offsets)
                idxs.append(offsets[off])
        self.attention_biases = nn.Parameter(torch.zeros(num_heads, len(offsets)))
        self.register_buffer("bias_idxs", torch.LongTensor(idxs).view(len(points), len(points)))

    def forward(self, x):
        b, n, _ = x.shape
        qkv = self.qkv(x).view(b, n, self.num_heads, -1)
        q, k, v = qkv.split([self.key_dim, self.key_dim, self.d], dim=3)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        attn = (q @ k.transpose(-2, -1)) * self.scale + self.attention_biases[:, self.bias_idxs]
        x = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, self.dh)
        return self.proj(x)


class MLP(nn.Module):
    def __init__(self, dim, ratio=2):
        super().__init__()
        self.fc1 = LinearNorm(dim, dim * ratio)
        self.act = nn.Hardswish()
        self.fc2 = LinearNorm(dim * ratio, dim, bn_weight_init=0.0)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class LeViTLite(nn.Module):
    def __init__(self, img_size=224, embed_dim=128, depth=4, num_heads=4, num_classes=1000):
        super().__init__()
        self.patch_embed = nn.Sequential(
            ConvNorm(3, embed_dim // 8),
            nn.Hardswish(),
            ConvNorm(embed_dim // 8, embed_dim // 4),
            nn.Hardswish(),
            ConvNorm(embed_dim // 4, embed_dim // 2),
            nn.Hardswish(),
            ConvNorm(embed_dim // 2, embed_dim),
        )
        resolution = img_size // 16
        self.blocks = nn.ModuleList()
        for _ in range(depth):
            self.blocks.append(Attention(embed_dim, num_heads=num_heads, resolution=resolution))
            self.blocks.append(MLP(embed_dim))
        self.head_norm = nn.BatchNorm1d(embed_dim)
        self.head = nn.Linear(embed_dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)
        x = x.flatten(2).transpose(1, 2)  # (B, N, C)
        for blk in self.blocks:
            x = x + blk(x)
        x = x.transpose(1, 2)  # (B, C, N)
        x = self.head_norm(x).mean(dim=2)
        return self.head(x)


if __name__ == "__main__":
    model = LeViTLite(num_classes=10)
    print(model.head)
