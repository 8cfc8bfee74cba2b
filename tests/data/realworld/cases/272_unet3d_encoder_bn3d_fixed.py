# 3D U-Net (PyTorch port) after PR #11: the encoder helper pairs Conv3d with BatchNorm3d.
import torch
import torch.nn as nn


class UNet3D(nn.Module):
    def __init__(self, in_channel, n_classes, batchnorm=False):
        super().__init__()
        self.in_channel = in_channel
        self.n_classes = n_classes
        self.ec0 = self.encoder(self.in_channel, 32, bias=False, batchnorm=batchnorm)
        self.ec1 = self.encoder(32, 64, bias=False, batchnorm=batchnorm)
        self.ec2 = self.encoder(64, 64, bias=False, batchnorm=batchnorm)
        self.ec3 = self.encoder(64, 128, bias=False, batchnorm=batchnorm)
        self.pool0 = nn.MaxPool3d(2)
        self.dc1 = self.decoder(128, 64, kernel_size=2, stride=2, bias=False)
        self.dc0 = self.decoder(64 + 64, n_classes, kernel_size=1, stride=1, bias=False)

    def encoder(self, in_channels, out_channels, kernel_size=3, stride=1, padding=1,
                bias=True, batchnorm=False):
        if batchnorm:
            layer = nn.Sequential(
                nn.Conv3d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias),
                nn.BatchNorm3d(out_channels),
                nn.ReLU())
        else:
            layer = nn.Sequential(
                nn.Conv3d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias),
                nn.ReLU())
        return layer

    def decoder(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                output_padding=0, bias=True):
        return nn.Sequential(
            nn.ConvTranspose3d(in_channels, out_channels, kernel_size, stride=stride,
                               padding=padding, output_padding=output_padding, bias=bias),
            nn.ReLU())

    def forward(self, x):
        e0 = self.ec0(x)
        syn0 = self.ec1(e0)
        e1 = self.pool0(syn0)
        e3 = self.ec3(self.ec2(e1))
        d1 = torch.cat((self.dc1(e3), syn0), dim=1)
        return self.dc0(d1)


if __name__ == "__main__":
    net = UNet3D(1, 3, batchnorm=True)
    out = net(torch.randn(2, 1, 16, 32, 32))
