"""Hybrid CNN-Transformer classifier.

A convolutional stem (conv-BN-GELU x2) downsamples the image by 4, a strided
patch projection turns it into tokens, and a stack of pre-norm Transformer
encoder layers processes the token sequence.
"""
import math

import torch
import torch.nn as nn


class ConvStem(nn.Module):
    def __init__(self, in_chans=3, stem_width=32):
        super().__init__()
        self.out_width = stem_width * 2
        self.stem = nn.Sequential(
            nn.Conv2d(in_chans, stem_width, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(stem_width),
            nn.GELU(),
            nn.Conv2d(stem_width, stem_width * 2, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(stem_width),  # expect: BN201
            nn.GELU(),
        )

    def forward(self, x):
        return self.stem(x)


class PatchEmbed(nn.Module):
    def __init__(self, in_chans=64, embed_dim=384, patch_size=4):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size, bias=False)
        self.proj_norm = nn.BatchNorm1d(embed_dim)  # expect: BN202

    def forward(self, x):
        x = self.proj_norm(self.proj(x))
        return x.flatten(2).transpose(1, 2)  # (B, N, C)


class HybridViT(nn.Module):
    def __init__(
        self,
        img_size=224,
        in_chans=3,
        num_classes=1000,
        embed_dim=384,
        depth=8,
        num_heads=6,
        mlp_ratio=4.0,
        drop_rate=0.1,
    ):
        super().__init__()
        self.stem = ConvStem(in_chans, 32)
        self.patch_embed = PatchEmbed(self.stem.out_width, embed_dim, patch_size=4)
        num_patches = (img_size // 16) ** 2

        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        self.pos_drop = nn.Dropout(drop_rate)

        layer = nn.TransformerEncoderLayer(
            d_model=embed_dim,
            nhead=num_heads,
            dim_feedforward=int(embed_dim * mlp_ratio),
            dropout=drop_rate,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=depth)
        self.token_norm = nn.BatchNorm1d(embed_dim)
        self.head = nn.Linear(embed_dim, num_classes)
        self._init_weights()

    def _init_weights(self):
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0, math.sqrt(2.0 / fan_out))

    def forward_features(self, x):
        x = self.stem(x)
        x = self.patch_embed(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1)
        x = self.pos_drop(x + self.pos_embed)
        x = self.encoder(x)
        x = self.token_norm(x)  # expect: BN203
        return x

    def forward(self, x):
        x = self.forward_features(x)
        return self.head(x[:, 0])


if __name__ == "__main__":
    model = HybridViT(img_size=224, num_classes=100, depth=4)
    print(model.pos_embed.shape)
