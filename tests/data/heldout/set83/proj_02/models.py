import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBlock(nn.Module):
    def __init__(self, ch_in, ch_out):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(ch_in, ch_out, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(ch_out),
            nn.ReLU(inplace=True),
            nn.Conv2d(ch_out, ch_out, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(ch_out),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.conv(x)


class UpConv(nn.Module):
    def __init__(self, ch_in, ch_out):
        super().__init__()
        self.up = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            nn.Conv2d(ch_in, ch_out, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(ch_out),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.up(x)


class AttentionGate(nn.Module):
    def __init__(self, f_g, f_l, f_int):
        super().__init__()
        self.W_g = nn.Sequential(nn.Conv2d(f_g, f_int, 1, bias=False), nn.BatchNorm2d(f_int))
        self.W_x = nn.Sequential(nn.Conv2d(f_l, f_int, 1, bias=False), nn.BatchNorm2d(f_int))
        self.psi = nn.Sequential(nn.Conv2d(f_int, 1, 1, bias=False), nn.BatchNorm2d(1), nn.Sigmoid())

    def forward(self, g, x):
        a = F.relu(self.W_g(g) + self.W_x(x))
        return x * self.psi(a)


class AttU_Net(nn.Module):
    def __init__(self, img_ch=1, output_ch=1, base=32):
        super().__init__()
        c1, c2, c3, c4, c5 = base, base * 2, base * 4, base * 8, base * 16
        self.pool = nn.MaxPool2d(2)
        self.conv1, self.conv2, self.conv3 = ConvBlock(img_ch, c1), ConvBlock(c1, c2), ConvBlock(c2, c3)
        self.conv4, self.conv5 = ConvBlock(c3, c4), ConvBlock(c4, c5)
        self.up5, self.att5, self.upc5 = UpConv(c5, c4), AttentionGate(c4, c4, c3), ConvBlock(c5, c4)
        self.up4, self.att4, self.upc4 = UpConv(c4, c3), AttentionGate(c3, c3, c2), ConvBlock(c4, c3)
        self.up3, self.att3, self.upc3 = UpConv(c3, c2), AttentionGate(c2, c2, c1), ConvBlock(c3, c2)
        self.up2, self.att2, self.upc2 = UpConv(c2, c1), AttentionGate(c1, c1, c1 // 2), ConvBlock(c2, c1)
        self.out = nn.Conv2d(c1, output_ch, kernel_size=1)

    def forward(self, x):
        x1 = self.conv1(x)
        x2 = self.conv2(self.pool(x1))
        x3 = self.conv3(self.pool(x2))
        x4 = self.conv4(self.pool(x3))
        x5 = self.conv5(self.pool(x4))
        d5 = self.up5(x5)
        d5 = self.upc5(torch.cat([self.att5(d5, x4), d5], 1))
        d4 = self.up4(d5)
        d4 = self.upc4(torch.cat([self.att4(d4, x3), d4], 1))
        d3 = self.up3(d4)
        d3 = self.upc3(torch.cat([self.att3(d3, x2), d3], 1))
        d2 = self.up2(d3)
        d2 = self.upc2(torch.cat([self.att2(d2, x1), d2], 1))
        return self.out(d2)
