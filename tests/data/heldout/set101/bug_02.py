"""Wide Residual Networks (Zagoruyko & Komodakis, 2016) for CIFAR.

WRN-d-k: depth d = 6n + 4, widen factor k. Pre-activation basic blocks.
Ported from the Lua/TF reference implementation.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class WideBasic(nn.Module):
    def __init__(self, in_planes, out_planes, stride, drop_rate=0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes, 0.9)  # expect: BN206
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride,
                               padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_planes, out_planes, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = drop_rate
        self.equal_in_out = in_planes == out_planes
        self.shortcut = None
        if not self.equal_in_out:
            self.shortcut = nn.Conv2d(in_planes, out_planes, kernel_size=1,
                                      stride=stride, padding=0, bias=False)

    def forward(self, x):
        if not self.equal_in_out:
            x = self.relu1(self.bn1(x))
            out = self.relu2(self.bn2(self.conv1(x)))
        else:
            out = self.relu1(self.bn1(x))
            out = self.relu2(self.bn2(self.conv1(out)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        out = self.conv2(out)
        residual = x if self.equal_in_out else self.shortcut(x)
        return residual + out


class NetworkBlock(nn.Module):
    def __init__(self, nb_layers, in_planes, out_planes, stride, drop_rate=0.0):
        super().__init__()
        layers = []
        for i in range(int(nb_layers)):
            layers.append(WideBasic(in_planes if i == 0 else out_planes,
                                    out_planes,
                                    stride if i == 0 else 1,
                                    drop_rate))
        self.layer = nn.Sequential(*layers)

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth=28, widen_factor=10, num_classes=10, drop_rate=0.3):
        super().__init__()
        n_channels = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        assert (depth - 4) % 6 == 0, "depth should be 6n+4"
        n = (depth - 4) // 6

        self.conv1 = nn.Conv2d(3, n_channels[0], kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.block1 = NetworkBlock(n, n_channels[0], n_channels[1], 1, drop_rate)
        self.block2 = NetworkBlock(n, n_channels[1], n_channels[2], 2, drop_rate)
        self.block3 = NetworkBlock(n, n_channels[2], n_channels[3], 2, drop_rate)
        # final pre-activation before pooling
        self.bn = nn.BatchNorm2d(n_channels[2])  # expect: BN201
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(n_channels[3], num_classes)
        self.n_channels = n_channels[3]

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()
            elif isinstance(m, nn.Linear):
                m.bias.data.zero_()

    def forward(self, x):
        out = self.conv1(x)
        out = self.block1(out)
        out = self.block2(out)
        out = self.block3(out)
        out = self.relu(self.bn(out))
        out = F.adaptive_avg_pool2d(out, 1)
        out = out.view(-1, self.n_channels)
        return self.fc(out)


def wrn_28_10(num_classes=10):
    return WideResNet(depth=28, widen_factor=10, num_classes=num_classes)


def wrn_16_8(num_classes=10):
    return WideResNet(depth=16, widen_factor=8, num_classes=num_classes)


if __name__ == "__main__":
    net = wrn_16_8()
    print(sum(p.numel() for p in net.parameters()) / 1e6, "M params")
