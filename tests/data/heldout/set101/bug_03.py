"""DenseNet-BC backbone with an embedding head for metric learning.

Dense layers concatenate all previous feature maps; the bottleneck 1x1 conv
produces BN_SIZE * growth_rate channels before the 3x3 conv.
"""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_SIZE = 4
EMBED_DIM = 512


class DenseLayer(nn.Module):
    def __init__(self, num_input_features, growth_rate, drop_rate=0.0):
        super().__init__()
        inter = BN_SIZE * growth_rate
        self.body = nn.Sequential(
            nn.BatchNorm2d(num_input_features),
            nn.ReLU(inplace=True),
            nn.Conv2d(num_input_features, inter, kernel_size=1, stride=1, bias=False),
            nn.BatchNorm2d(growth_rate),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.Conv2d(inter, growth_rate, kernel_size=3, stride=1, padding=1, bias=False),
        )
        self.drop_rate = float(drop_rate)

    def forward(self, inputs):
        prev = torch.cat(inputs, 1) if isinstance(inputs, list) else inputs
        new_features = self.body(prev)
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers, num_input_features, growth_rate, drop_rate=0.0):
        super().__init__()
        for i in range(num_layers):
            layer = DenseLayer(num_input_features + i * growth_rate, growth_rate, drop_rate)
            self.add_module("denselayer%d" % (i + 1), layer)

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return torch.cat(features, 1)


class Transition(nn.Sequential):
    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.add_module("norm", nn.BatchNorm2d(num_input_features))
        self.add_module("relu", nn.ReLU(inplace=True))
        self.add_module("conv", nn.Conv2d(num_input_features, num_output_features,
                                          kernel_size=1, stride=1, bias=False))
        self.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))


class DenseNetEmbedder(nn.Module):
    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16),
                 num_init_features=64, drop_rate=0.0, compression=0.5):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2,
                                padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))

        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = DenseBlock(num_layers, num_features, growth_rate, drop_rate)
            self.features.add_module("denseblock%d" % (i + 1), block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                out_features = int(num_features * compression)
                self.features.add_module("transition%d" % (i + 1),
                                         Transition(num_features, out_features))
                num_features = out_features

        self.features.add_module("norm5", nn.BatchNorm2d(num_features))

        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(num_features, EMBED_DIM, bias=False),
            nn.BatchNorm2d(EMBED_DIM),  # expect: BN202
        )

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        feats = F.relu(self.features(x), inplace=True)
        emb = self.head(feats)
        return F.normalize(emb, dim=1)


def densenet121_embedder():
    return DenseNetEmbedder(32, (6, 12, 24, 16), 64)


def densenet169_embedder():
    return DenseNetEmbedder(32, (6, 12, 32, 32), 64)
