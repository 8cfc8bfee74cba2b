# Modelled on: https://github.com/yassouali/pytorch-segmentation/issues/8 ("Expected more than 1 value per channel
# when training" after some iterations: the last batch of the epoch held one image, and the PSP module's 1x1
# pooling branch feeds BatchNorm2d one value per channel).
# Bug: BN302 (the run crashes at the end of the first epoch). 21 images in batches of 4.
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse


class PSPModule(nn.Module):
    def __init__(self, in_channels, bin_sizes=(1, 2, 3, 6)):
        super().__init__()
        out_channels = in_channels // len(bin_sizes)
        self.stages = nn.ModuleList([self._make_stages(in_channels, out_channels, b) for b in bin_sizes])
        self.bottleneck = nn.Sequential(
            nn.Conv2d(in_channels + out_channels * len(bin_sizes), out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))

    def _make_stages(self, in_channels, out_channels, bin_sz):
        prior = nn.AdaptiveAvgPool2d(output_size=bin_sz)
        conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        bn = nn.BatchNorm2d(out_channels)
        return nn.Sequential(prior, conv, bn, nn.ReLU(inplace=True))

    def forward(self, features):
        h, w = features.size()[2], features.size()[3]
        pyramids = [features]
        pyramids.extend([F.interpolate(stage(features), size=(h, w), mode="bilinear", align_corners=True)
                         for stage in self.stages])
        return self.bottleneck(torch.cat(pyramids, dim=1))


class PSPNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32),
                                      nn.ReLU(inplace=True))
        self.master_branch = nn.Sequential(PSPModule(32), nn.Conv2d(8, num_classes, kernel_size=1))

    def forward(self, x):
        out = self.master_branch(self.backbone(x))
        return F.interpolate(out, size=x.shape[2:], mode="bilinear", align_corners=False)


args = parse()
model = PSPNet()
images = torch.randn(21, 3, 24, 24)
labels = torch.randint(0, 4, (21, 24, 24))
train_loader = DataLoader(TensorDataset(images, labels), batch_size=4, shuffle=True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
step = 0
with Clock():
    for epoch in range(50):
        model.train()
        for data, target in train_loader:
            loss = F.cross_entropy(model(data), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step >= args.steps:
                break
        if step >= args.steps:
            break
