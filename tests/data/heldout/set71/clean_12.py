"""VGG-BN for CIFAR-10/100 with channel lists in a config dict.

The classifier uses BatchNorm1d on the flattened 512-d feature vector.
"""
from collections import OrderedDict

import torch
import torch.nn as nn

CONFIGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}

HIDDEN = 512


def conv_bn_relu(in_channels, out_channels):
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


def make_features(cfg, in_channels=3):
    layers = []
    stage = 1
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            stage += 1
            continue
        layers += conv_bn_relu(in_channels, v)
        in_channels = v
    return nn.Sequential(*layers), in_channels


class VGG(nn.Module):
    def __init__(self, name="vgg16", num_classes=10, dropout=0.5):
        super().__init__()
        self.features, out_channels = make_features(CONFIGS[name])
        self.classifier = nn.Sequential(
            OrderedDict(
                [
                    ("flatten", nn.Flatten()),
                    ("fc1", nn.Linear(out_channels, HIDDEN, bias=False)),
                    ("bn1", nn.BatchNorm1d(HIDDEN)),
                    ("relu1", nn.ReLU(inplace=True)),
                    ("drop1", nn.Dropout(dropout)),
                    ("fc2", nn.Linear(HIDDEN, HIDDEN, bias=False)),
                    ("bn2", nn.BatchNorm1d(HIDDEN)),
                    ("relu2", nn.ReLU(inplace=True)),
                    ("drop2", nn.Dropout(dropout)),
                    ("fc3", nn.Linear(HIDDEN, num_classes)),
                ]
            )
        )
        self._init_weights()

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x)


class VGGWithAux(VGG):
    """VGG with an auxiliary classifier on the stage-4 feature map."""

    def __init__(self, name="vgg16", num_classes=10, dropout=0.5):
        super().__init__(name, num_classes, dropout)
        self.aux = nn.Sequential(
            nn.AdaptiveAvgPool2d(2),
            nn.Conv2d(512, 128, kernel_size=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Flatten(),
            nn.Linear(128 * 2 * 2, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(inplace=True),
            nn.Linear(256, num_classes),
        )
        pools = [i for i, m in enumerate(self.features) if isinstance(m, nn.MaxPool2d)]
        self.aux_index = pools[3]

    def forward(self, x):
        aux_out = None
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i == self.aux_index:
                aux_out = self.aux(x)
        return self.classifier(x), aux_out


if __name__ == "__main__":
    net = VGGWithAux("vgg11", num_classes=100)
    print(net.classifier.fc1, net.aux_index)
