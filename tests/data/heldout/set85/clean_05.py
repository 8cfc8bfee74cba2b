"""Conditional batch normalisation for a class-conditional generator.

The BN layers are created with affine=False: the scale and shift come from a
class embedding instead. Because the BN has no learned shift, the conv bias
in front of it is kept on purpose (it is cheap and the paper's code had it).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConditionalBatchNorm2d(nn.Module):
    def __init__(self, num_features, num_classes):
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features, affine=False)
        self.embed = nn.Embedding(num_classes, num_features * 2)
        self.embed.weight.data[:, :num_features].fill_(1.0)
        self.embed.weight.data[:, num_features:].zero_()

    def forward(self, x, y):
        out = self.bn(x)
        gamma, beta = self.embed(y).chunk(2, dim=1)
        return gamma[:, :, None, None] * out + beta[:, :, None, None]


class GBlock(nn.Module):
    def __init__(self, cin, cout, num_classes):
        super().__init__()
        self.cbn1 = ConditionalBatchNorm2d(cin, num_classes)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.cbn2 = ConditionalBatchNorm2d(cout, num_classes)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1)

    def forward(self, x, y):
        h = F.relu(self.cbn1(x, y))
        h = F.interpolate(h, scale_factor=2)
        x = F.interpolate(x, scale_factor=2)
        h = self.conv1(h)                # bias=True feeds an affine=False BN below
        h = self.conv2(F.relu(self.cbn2(h, y)))
        return h + self.skip(x)


class Generator(nn.Module):
    def __init__(self, z_dim=128, ch=256, num_classes=10):
        super().__init__()
        self.ch = ch
        self.fc = nn.Linear(z_dim, 4 * 4 * ch)
        self.blocks = nn.ModuleList([GBlock(ch, ch, num_classes) for _ in range(3)])
        self.out_bn = nn.BatchNorm2d(ch)
        self.out_conv = nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, z, y):
        h = self.fc(z).view(-1, self.ch, 4, 4)
        for blk in self.blocks:
            h = blk(h, y)
        return torch.tanh(self.out_conv(F.relu(self.out_bn(h))))


class Stem(nn.Module):
    """Plain conv stem with a non-affine BN (used by the projection discriminator ablation)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 64, 3, padding=1, bias=True)
        self.norm = nn.BatchNorm2d(64, affine=False)

    def forward(self, x):
        return F.leaky_relu(self.norm(self.conv(x)), 0.2)


@torch.no_grad()
def sample_grid(G, n_per_class=8, num_classes=10, z_dim=128, device="cpu"):
    G.eval()
    y = torch.arange(num_classes, device=device).repeat_interleave(n_per_class)
    z = torch.randn(y.numel(), z_dim, device=device)
    imgs = G(z, y)
    G.train()
    return (imgs + 1) / 2
