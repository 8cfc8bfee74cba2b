from functools import partial

import torch.nn as nn

Norm = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)


def conv_bn(cin, cout, stride=1, norm_layer=Norm):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False),
        norm_layer(cout),
        nn.ReLU(inplace=True),
    )


class SmallCNN(nn.Module):
    def __init__(self, width=16, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, width),
            conv_bn(width, width * 2, stride=2),
            conv_bn(width * 2, width * 4, stride=2),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width * 4, num_classes)

    def forward(self, x):
        return self.fc(self.pool(self.features(x)).flatten(1))
