"""EfficientNetV2-S (Fused-MBConv + MBConv) and a TorchScript export helper."""
import copy
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

NormLayer = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.1)

# (block, expand, kernel, stride, in, out, layers)
V2_S = [
    ("fused", 1, 3, 1, 24, 24, 2),
    ("fused", 4, 3, 2, 24, 48, 4),
    ("fused", 4, 3, 2, 48, 64, 4),
    ("mb", 4, 3, 2, 64, 128, 6),
    ("mb", 6, 3, 1, 128, 160, 9),
    ("mb", 6, 3, 2, 160, 256, 15),
]


def conv_bn_act(cin, cout, k, s=1, groups=1, act=True):
    mods = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), NormLayer(cout)]
    if act:
        mods.append(nn.SiLU(inplace=True))
    return nn.Sequential(*mods)


class StochasticDepth(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1 - self.p
        noise = x.new_empty(x.shape[0], 1, 1, 1).bernoulli_(keep)
        return x * noise / keep


class FusedMBConv(nn.Module):
    def __init__(self, cin, cout, expand, k, stride, sd_prob):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        if expand != 1:
            self.block = nn.Sequential(conv_bn_act(cin, hidden, k, stride),
                                       conv_bn_act(hidden, cout, 1, act=False))
        else:
            self.block = conv_bn_act(cin, cout, k, stride)
        self.sd = StochasticDepth(sd_prob)

    def forward(self, x):
        y = self.block(x)
        return x + self.sd(y) if self.use_res else y


class MBConv(nn.Module):
    def __init__(self, cin, cout, expand, k, stride, sd_prob, se_ratio=0.25):
        super().__init__()
        hidden = cin * expand
        squeeze = max(1, int(cin * se_ratio))
        self.use_res = stride == 1 and cin == cout
        self.expand = conv_bn_act(cin, hidden, 1)
        self.dw = nn.Sequential(
            nn.Conv2d(hidden, hidden, k, stride, k // 2, groups=hidden, bias=False),
            NormLayer(cin * expand),
            nn.SiLU(inplace=True),
        )
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1),
                                nn.Conv2d(hidden, squeeze, 1), nn.SiLU(inplace=True),
                                nn.Conv2d(squeeze, hidden, 1), nn.Sigmoid())
        self.project = conv_bn_act(hidden, cout, 1, act=False)
        self.sd = StochasticDepth(sd_prob)

    def forward(self, x):
        y = self.dw(self.expand(x))
        y = self.project(y * self.se(y))
        return x + self.sd(y) if self.use_res else y


class EfficientNetV2(nn.Module):
    def __init__(self, cfg=V2_S, num_classes=1000, head_ch=1280, sd_rate=0.2, dropout=0.2):
        super().__init__()
        self.stem = conv_bn_act(3, cfg[0][4], 3, 2)
        total = sum(c[-1] for c in cfg)
        blocks, idx = [], 0
        for kind, e, k, s, cin, cout, n in cfg:
            Block = FusedMBConv if kind == "fused" else MBConv
            for i in range(n):
                blocks.append(Block(cin if i == 0 else cout, cout, e, k,
                                    s if i == 0 else 1, sd_rate * idx / total))
                idx += 1
        self.blocks = nn.Sequential(*blocks)
        self.head = conv_bn_act(cfg[-1][5], head_ch, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout, inplace=True),
                                        nn.Linear(head_ch, num_classes))

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.classifier(torch.flatten(self.pool(x), 1))


def export_torchscript(ckpt_path, out_path, image_size=384):
    model = EfficientNetV2()
    model.load_state_dict(torch.load(ckpt_path, map_location="cpu"))
    model.eval()
    example = torch.randn(1, 3, image_size, image_size)
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
        ref = model(example)
        assert torch.allclose(traced(example), ref, atol=1e-4)
    traced.save(out_path)
    return traced


def ema_copy(model):
    ema = copy.deepcopy(model)
    ema.eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    return ema
