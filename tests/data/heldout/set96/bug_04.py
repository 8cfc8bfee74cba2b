"""Inception-style classifier for 64x64 satellite tiles."""
import torch
import torch.nn as nn

IN_BANDS = 4          # RGB + NIR
STEM_WIDTH = 35       # odd: the stem conv rounds it down to an even width

B1 = 64               # 1x1 branch
B3 = 96               # 3x3 branch
B5 = 32               # 5x5 branch
BP = 32               # pool branch
PROJ = 192


def conv_bn(in_ch, out_ch, k, stride=1):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, k, stride=stride, padding=k // 2, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class InceptionBlock(nn.Module):
    def __init__(self, in_ch):
        super().__init__()
        self.branch1 = conv_bn(in_ch, B1, 1)
        self.branch3 = nn.Sequential(conv_bn(in_ch, B3 // 2, 1), conv_bn(B3 // 2, B3, 3))
        self.branch5 = nn.Sequential(conv_bn(in_ch, B5 // 2, 1), conv_bn(B5 // 2, B5, 5))
        self.branch_pool = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1),
            conv_bn(in_ch, BP, 1),
        )
        # 1x1 projection of the concatenated branches down to PROJ channels
        self.project = nn.Sequential(
            nn.Conv2d(B1 + B3 + B5 + BP, PROJ, kernel_size=1, bias=False),
            nn.BatchNorm2d(B1 + B3 + B5 + BP),  # expect: BN201
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        out = torch.cat(
            [self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1
        )
        return self.project(out)


class TileNet(nn.Module):
    def __init__(self, num_classes=17):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(IN_BANDS, STEM_WIDTH // 2 * 2, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(STEM_WIDTH),  # expect: BN201
            nn.ReLU(inplace=True),
        )
        self.block1 = InceptionBlock(STEM_WIDTH // 2 * 2)
        self.block2 = InceptionBlock(PROJ)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(PROJ, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.block2(self.block1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def multilabel_step(model, batch, optimizer, device):
    images, labels = batch
    images, labels = images.to(device), labels.float().to(device)
    model.train()
    optimizer.zero_grad()
    logits = model(images)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, labels)
    loss.backward()
    optimizer.step()
    return loss.item()
