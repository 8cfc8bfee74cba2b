# DFANet: the fc-attention branch pools to 1x1 and runs BatchNorm2d on
# (N, C, 1, 1); the training DataLoader built in main.py has no drop_last, so a
# batch of one reaching it raised "Expected more than 1 value per channel when
# training, got input size torch.Size([1, 192, 1, 1])".
import torch
import torch.nn as nn
import torch.optim as optim
from torch.nn import CrossEntropyLoss
from torch.utils.data import DataLoader

from cityscape import DatasetTrain, DatasetVal


class fcattention(nn.Module):
    def __init__(self, in_channels, out_channels):
        super(fcattention, self).__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(in_channels, 1000, bias=False),
        )
        self.conv = nn.Sequential(
            nn.Conv2d(1000, out_channels, kernel_size=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU()
        )

    def forward(self, x):
        b, c, _, _ = x.size()
        y = self.avg_pool(x).view(b, c)
        y = self.fc(y).view(b, 1000, 1, 1)
        y = self.conv(y)
        return x * y.expand_as(x)


class xceptionAx3(nn.Module):
    def __init__(self, num_classes):
        super(xceptionAx3, self).__init__()
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels=3, out_channels=8, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(num_features=8),
            nn.ReLU())
        self.enc4a = nn.Sequential(
            nn.Conv2d(8, 192, kernel_size=3, stride=16, padding=1, bias=False),
            nn.BatchNorm2d(192),
            nn.ReLU())
        self.fca1 = fcattention(192, 192)
        self.last_conv = nn.Sequential(
            nn.Conv2d(192, num_classes, kernel_size=1, stride=1, bias=False),
            nn.BatchNorm2d(num_classes),
            nn.ReLU())

    def forward(self, x):
        stage1 = self.conv1(x)
        stage_enc4a = self.enc4a(stage1)
        stage_fca1 = self.fca1(stage_enc4a)
        result = self.last_conv(stage_fca1)
        return nn.functional.interpolate(result, x.size()[2:], mode='bilinear', align_corners=False)


def dfanet(pretrained=False, **kwargs):
    model = xceptionAx3(**kwargs)
    return model


if __name__ == '__main__':
    train_dataset = DatasetTrain(cityscapes_data_path="/home/shen/Data/DataSet/Cityscape",
                                 cityscapes_meta_path="/home/shen/Data/DataSet/Cityscape/gtFine/")
    val_dataset = DatasetVal(cityscapes_data_path="/home/shen/Data/DataSet/Cityscape",
                             cityscapes_meta_path="/home/shen/Data/DataSet/Cityscape/gtFine")
    train_loader = DataLoader(dataset=train_dataset,
                              batch_size=10, shuffle=True,
                              num_workers=8)
    val_loader = DataLoader(dataset=val_dataset,
                            batch_size=10, shuffle=False,
                            num_workers=8)
    net = dfanet(pretrained=False, num_classes=20)
    criterion = CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.5, momentum=0.9, weight_decay=0.00001)
    net.train()
    for epoch in range(640):
        for image, label in train_loader:
            output = net(image)
            loss = criterion(output, label)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
