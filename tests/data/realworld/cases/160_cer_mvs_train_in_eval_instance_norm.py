import torch
import torch.nn as nn
import torch.optim as optim


class ResidualBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, padding=1, stride=stride)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1)
        self.norm1 = nn.InstanceNorm2d(planes)
        self.norm2 = nn.InstanceNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride), nn.InstanceNorm2d(planes))

    def forward(self, x):
        y = self.relu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        return self.relu(self.downsample(x) + y)


class BasicEncoder(nn.Module):
    def __init__(self, output_dim=128):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3)
        self.norm1 = nn.InstanceNorm2d(64)
        self.layer1 = ResidualBlock(64, 96, stride=2)
        self.conv2 = nn.Conv2d(96, output_dim, 1)

    def forward(self, x):
        return self.conv2(self.layer1(torch.relu(self.norm1(self.conv1(x)))))


def train(args, train_loader):
    model = nn.DataParallel(BasicEncoder()).cuda()
    model.eval()
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-5)
    for i_batch, (images, depths) in enumerate(train_loader):
        optimizer.zero_grad()
        feats = model(images.cuda())
        loss = (feats.mean(1) - depths.cuda()).abs().mean()
        loss.backward()
        optimizer.step()
        if i_batch >= args.num_steps:
            break
