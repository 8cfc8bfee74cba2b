"""EfficientNet-Lite0 re-implementation for leaf-disease classification on
edge devices (no squeeze-excite, ReLU6, fixed stem/head)."""
import math
from dataclasses import dataclass
from typing import List

import torch
import torch.nn as nn

TF_BN_DECAY = 0.99
BN_MOMENTUM = 1.0 - TF_BN_DECAY
BN_EPS = 1e-3
NUM_DISEASES = 38


@dataclass(frozen=True)
class BlockArgs:
    repeats: int
    kernel: int
    stride: int
    expand: int
    cin: int
    cout: int


LITE0_BLOCKS: List[BlockArgs] = [
    BlockArgs(1, 3, 1, 1, 32, 16),
    BlockArgs(2, 3, 2, 6, 16, 24),
    BlockArgs(2, 5, 2, 6, 24, 40),
    BlockArgs(3, 3, 2, 6, 40, 80),
    BlockArgs(3, 5, 1, 6, 80, 112),
    BlockArgs(4, 5, 2, 6, 112, 192),
    BlockArgs(1, 3, 1, 6, 192, 320),
]


def batch_norm(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


def conv_bn_act(cin, cout, kernel, stride=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
              batch_norm(cout)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class MBConv(nn.Module):
    def __init__(self, cin, cout, kernel, stride, expand, drop_path=0.0):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.drop_path = drop_path
        self.expand = conv_bn_act(cin, hidden, 1) if expand != 1 else nn.Identity()
        self.depthwise = conv_bn_act(hidden, hidden, kernel, stride, groups=hidden)
        self.project = conv_bn_act(hidden, cout, 1, act=False)

    def forward(self, x):
        out = self.project(self.depthwise(self.expand(x)))
        if not self.use_res:
            return out
        if self.training and self.drop_path > 0:
            keep = 1.0 - self.drop_path
            mask = torch.rand(x.shape[0], 1, 1, 1, device=x.device) < keep
            out = out * mask / keep
        return x + out


class EfficientNetLite(nn.Module):
    def __init__(self, blocks=LITE0_BLOCKS, num_classes=NUM_DISEASES, drop_path_rate=0.2, dropout=0.2):
        super().__init__()
        self.stem = conv_bn_act(3, 32, 3, stride=2)
        total = sum(b.repeats for b in blocks)
        layers, idx = [], 0
        for b in blocks:
            for r in range(b.repeats):
                cin = b.cin if r == 0 else b.cout
                stride = b.stride if r == 0 else 1
                layers.append(MBConv(cin, b.cout, b.kernel, stride, b.expand, drop_path_rate * idx / total))
                idx += 1
        self.blocks = nn.Sequential(*layers)
        self.head = conv_bn_act(blocks[-1].cout, 1280, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(1280, num_classes)
        self._init_weights()

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.weight.size(1))
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.classifier(self.dropout(torch.flatten(self.pool(x), 1)))


if __name__ == "__main__":
    model = EfficientNetLite()
    state = torch.load("weights/efficientnet_lite0_converted.pt", map_location="cpu")
    missing, unexpected = model.load_state_dict(state, strict=False)
    print("missing:", len(missing), "unexpected:", len(unexpected))
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.016, alpha=0.9, eps=1e-3, momentum=0.9)
    images = torch.randn(32, 3, 224, 224)
    labels = torch.randint(NUM_DISEASES, (32,))
    model.train()
    for step in range(3):
        loss = nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"warm-up step {step}: loss {loss.item():.3f}")
