import torch
import torch.nn as nn


class UNet3D(nn.Module):
    def __init__(self, in_channel, n_classes):
        self.in_channel = in_channel
        self.n_classes = n_classes
        super().__init__()
        self.ec0 = self.encoder(self.in_channel, 32, bias=True, batchnorm=True)
        self.ec1 = self.encoder(32, 64, bias=True, batchnorm=True)
        self.ec2 = self.encoder(64, 64, bias=True, batchnorm=True)
        self.ec3 = self.encoder(64, 128, bias=True, batchnorm=True)
        self.pool0 = nn.MaxPool3d(2)
        self.dc3 = self.decoder(128, 128, kernel_size=2, stride=2, bias=True)
        self.dc2 = self.decoder(64 + 128, 64, kernel_size=3, stride=1, padding=1, bias=True)
        self.dc0 = self.decoder(64, n_classes, kernel_size=1, stride=1, bias=True)

    def encoder(self, in_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=True, batchnorm=False):
        if batchnorm:
            layer = nn.Sequential(
                nn.Conv3d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias),
                nn.BatchNorm2d(out_channels),
                nn.ReLU())
        else:
            layer = nn.Sequential(
                nn.Conv3d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias),
                nn.ReLU())
        return layer

    def decoder(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, bias=True):
        return nn.Sequential(
            nn.ConvTranspose3d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                               output_padding=output_padding, bias=bias),
            nn.ReLU())

    def forward(self, x):
        syn0 = self.ec1(self.ec0(x))
        e1 = self.pool0(syn0)
        syn1 = self.ec3(self.ec2(e1))
        d3 = torch.cat((self.dc3(syn1), syn0), 1)
        return self.dc0(self.dc2(d3))
