import torch
import torch.nn as nn


class ConvStage(nn.Module):
    def __init__(self, n_convs, cin, cout):
        super().__init__()
        layers = []
        for i in range(n_convs):
            layers.append(nn.Conv3d(cin if i == 0 else cout, cout, 3, padding=1, bias=False))
            layers.append(nn.BatchNorm3d(cout))
            layers.append(nn.ReLU(inplace=True))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        return self.block(x)


class DownSample(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.Conv3d(cin, cout, 2, stride=2, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True))


class UpSample(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.ConvTranspose3d(cin, cout, 2, stride=2, bias=False), nn.BatchNorm3d(cout),
                         nn.ReLU(inplace=True))


class VNet(nn.Module):
    def __init__(self, n_channels=1, n_classes=2, n_filters=16):
        super().__init__()
        f = n_filters
        self.s1 = ConvStage(1, n_channels, f)
        self.d1 = DownSample(f, 2 * f)
        self.s2 = ConvStage(2, 2 * f, 2 * f)
        self.d2 = DownSample(2 * f, 4 * f)
        self.s3 = ConvStage(3, 4 * f, 4 * f)
        self.d3 = DownSample(4 * f, 8 * f)
        self.s4 = ConvStage(3, 8 * f, 8 * f)
        self.d4 = DownSample(8 * f, 16 * f)
        self.s5 = ConvStage(3, 16 * f, 16 * f)
        self.u5 = UpSample(16 * f, 8 * f)
        self.s6 = ConvStage(3, 8 * f, 8 * f)
        self.u6 = UpSample(8 * f, 4 * f)
        self.s7 = ConvStage(3, 4 * f, 4 * f)
        self.u7 = UpSample(4 * f, 2 * f)
        self.s8 = ConvStage(2, 2 * f, 2 * f)
        self.u8 = UpSample(2 * f, f)
        self.s9 = ConvStage(1, f, f)
        self.out_conv = nn.Conv3d(f, n_classes, 1)
        self.dropout = nn.Dropout3d(p=0.5)

    def forward(self, x):
        x1 = self.s1(x)
        x2 = self.s2(self.d1(x1))
        x3 = self.s3(self.d2(x2))
        x4 = self.s4(self.d3(x3))
        x5 = self.dropout(self.s5(self.d4(x4)))
        x = self.s6(self.u5(x5) + x4)
        x = self.s7(self.u6(x) + x3)
        x = self.s8(self.u7(x) + x2)
        x = self.s9(self.u8(x) + x1)
        return self.out_conv(self.dropout(x))
