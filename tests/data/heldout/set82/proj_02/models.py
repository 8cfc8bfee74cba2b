import torch
import torch.nn as nn


def conv_bn(cin, cout, stride=1, norm_layer=nn.BatchNorm2d):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        norm_layer(cout),
        nn.ReLU(inplace=True),
    )


class ResBlock(nn.Module):
    def __init__(self, cin, cout, stride=2, norm_layer=nn.BatchNorm2d):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(cin, cout, stride, norm_layer),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            norm_layer(cout),
        )
        self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), norm_layer(cout))

    def forward(self, x):
        return torch.relu(self.body(x) + self.skip(x))


class LungSoundNet(nn.Module):
    def __init__(self, n_classes, widths=(32, 64, 128, 256), norm_layer=nn.BatchNorm2d):
        super().__init__()
        self.stem = conv_bn(1, widths[0], norm_layer=norm_layer)
        blocks = []
        for cin, cout in zip(widths[:-1], widths[1:]):
            blocks.append(ResBlock(cin, cout, norm_layer=norm_layer))
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[-1], n_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(self.pool(x).flatten(1))
