from functools import partial

from torch import nn

BatchNorm = partial(nn.BatchNorm2d, eps=1e-5, momentum=0.1)


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, stride=1, norm_layer=BatchNorm):
        super().__init__()
        self.conv1 = conv3x3(cin, cout, stride)
        self.bn1 = norm_layer(cout)
        self.conv2 = conv3x3(cout, cout)
        self.bn2 = norm_layer(cout)
        self.act = nn.ReLU(inplace=True)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), norm_layer(cout))

    def forward(self, x):
        out = self.act(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act(out + self.shortcut(x))
