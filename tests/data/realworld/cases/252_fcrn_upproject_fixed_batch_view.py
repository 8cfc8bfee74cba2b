import torch
import torch.nn as nn
import torch.nn.functional as F

from loader import NyuDepthLoader


class UpProject(nn.Module):
    def __init__(self, in_channels, out_channels, batch_size):
        super().__init__()
        self.batch_size = batch_size
        self.conv1_1 = nn.Conv2d(in_channels, out_channels, 3)
        self.conv1_2 = nn.Conv2d(in_channels, out_channels, (2, 3))
        self.conv1_3 = nn.Conv2d(in_channels, out_channels, (3, 2))
        self.conv1_4 = nn.Conv2d(in_channels, out_channels, 2)
        self.bn1_1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        out1_1 = self.conv1_1(F.pad(x, (1, 1, 1, 1)))
        out1_2 = self.conv1_2(F.pad(x, (1, 1, 1, 0)))
        out1_3 = self.conv1_3(F.pad(x, (1, 0, 1, 1)))
        out1_4 = self.conv1_4(F.pad(x, (1, 0, 1, 0)))
        height, width = out1_1.size()[2], out1_1.size()[3]
        out1_1_2 = torch.stack((out1_1, out1_2), dim=-3).permute(0, 1, 3, 4, 2).contiguous().view(
            self.batch_size, -1, height, width * 2)
        out1_3_4 = torch.stack((out1_3, out1_4), dim=-3).permute(0, 1, 3, 4, 2).contiguous().view(
            self.batch_size, -1, height, width * 2)
        out1_1234 = torch.stack((out1_1_2, out1_3_4), dim=-3).permute(0, 1, 3, 2, 4).contiguous().view(
            self.batch_size, -1, height * 2, width * 2)
        out1 = self.relu(self.bn1_1(out1_1234))
        out1 = self.conv3(out1)
        out1 = self.bn2(out1)
        return self.relu(out1)


class FCRNHead(nn.Module):
    def __init__(self, batch_size):
        super().__init__()
        self.conv2 = nn.Conv2d(2048, 1024, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(1024)
        self.up1 = UpProject(1024, 512, batch_size)
        self.up2 = UpProject(512, 256, batch_size)

    def forward(self, x):
        return self.up2(self.up1(self.bn2(self.conv2(x))))


def main(data_path, train_lists, val_lists):
    batch_size = 32
    train_loader = torch.utils.data.DataLoader(NyuDepthLoader(data_path, train_lists), batch_size=batch_size,
                                               shuffle=True, drop_last=True)
    val_loader = torch.utils.data.DataLoader(NyuDepthLoader(data_path, val_lists), batch_size=16, shuffle=False)
    model = FCRNHead(batch_size).cuda()
    model.eval()
    with torch.no_grad():
        for input, depth in val_loader:
            model(input.cuda())
