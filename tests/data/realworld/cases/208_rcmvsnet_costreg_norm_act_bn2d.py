import torch.nn as nn
import torch.nn.functional as F


class ConvBnReLU3D(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, pad=1,
                 norm_act=nn.BatchNorm2d):
        super().__init__()
        self.conv = nn.Conv3d(in_channels, out_channels, kernel_size, stride=stride, padding=pad, bias=False)
        self.bn = norm_act(out_channels)

    def forward(self, x):
        return self.bn(self.conv(x))


class CostReg(nn.Module):
    def __init__(self, in_channels, norm_act=nn.BatchNorm2d, base_channels=4):
        super().__init__()
        self.conv0 = ConvBnReLU3D(in_channels, base_channels, norm_act=norm_act)
        self.conv1 = ConvBnReLU3D(base_channels, base_channels * 2, stride=2, norm_act=norm_act)
        self.conv2 = ConvBnReLU3D(base_channels * 2, base_channels * 2, norm_act=norm_act)
        self.conv3 = ConvBnReLU3D(base_channels * 2, base_channels * 4, stride=2, norm_act=norm_act)
        self.conv4 = ConvBnReLU3D(base_channels * 4, base_channels * 4, norm_act=norm_act)
        self.conv7 = nn.Sequential(
            nn.ConvTranspose3d(base_channels * 4, base_channels * 2, 3, padding=1, output_padding=1,
                               stride=2, bias=False),
            norm_act(16))
        self.conv9 = nn.Sequential(
            nn.ConvTranspose3d(base_channels * 2, base_channels, 3, padding=1, output_padding=1,
                               stride=2, bias=False),
            norm_act(8))

    def forward(self, x):
        conv0 = self.conv0(x)
        conv2 = self.conv2(self.conv1(conv0))
        x = self.conv4(self.conv3(conv2))
        x = conv2 + self.conv7(x)
        x = conv0 + self.conv9(x)
        return x


class Neural_Volume_Net(nn.Module):
    def __init__(self, num_groups=1, norm_act=nn.BatchNorm2d, levels=1):
        super().__init__()
        self.levels = levels
        self.G = num_groups
        self.cost_reg_2 = CostReg(32 + 9, norm_act, base_channels=8)

    def forward(self, volume_feature):
        B, C, _, H, W = volume_feature.shape
        volume_feat = F.interpolate(volume_feature, size=[128, H, W], mode="trilinear", align_corners=True)
        volume_feat = self.cost_reg_2(volume_feat)  # (B, C, D, h, w)
        return volume_feat.reshape(1, -1, *volume_feat.shape[2:])
