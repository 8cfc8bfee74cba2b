"""UNet++ (nested U-Net) with deep supervision, plus a training/validation loop."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from datasets import NucleiDataset  # project-local

CONFIG = {
    "batch_size": 16,
    "epochs": 100,
    "lr": 3e-4,
    "deep_supervision": True,
    "nb_filter": [32, 64, 128, 256, 512],
}


class VGGBlock(nn.Module):
    def __init__(self, in_channels, middle_channels, out_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, middle_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(middle_channels)
        self.conv2 = nn.Conv2d(middle_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(x)))


class NestedUNet(nn.Module):
    def __init__(self, num_classes=1, input_channels=3, deep_supervision=False,
                 nb_filter=(32, 64, 128, 256, 512)):
        super().__init__()
        f = list(nb_filter)
        self.deep_supervision = deep_supervision
        self.pool = nn.MaxPool2d(2, 2)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)

        self.conv0_0 = VGGBlock(input_channels, f[0], f[0])
        self.conv1_0 = VGGBlock(f[0], f[1], f[1])
        self.conv2_0 = VGGBlock(f[1], f[2], f[2])
        self.conv3_0 = VGGBlock(f[2], f[3], f[3])
        self.conv4_0 = VGGBlock(f[3], f[4], f[4])

        self.conv0_1 = VGGBlock(f[0] + f[1], f[0], f[0])
        self.conv1_1 = VGGBlock(f[1] + f[2], f[1], f[1])
        self.conv2_1 = VGGBlock(f[2] + f[3], f[2], f[2])
        self.conv3_1 = VGGBlock(f[3] + f[4], f[3], f[3])

        self.conv0_2 = VGGBlock(f[0] * 2 + f[1], f[0], f[0])
        self.conv1_2 = VGGBlock(f[1] * 2 + f[2], f[1], f[1])
        self.conv2_2 = VGGBlock(f[2] * 2 + f[3], f[2], f[2])

        self.conv0_3 = VGGBlock(f[0] * 3 + f[1], f[0], f[0])
        self.conv1_3 = VGGBlock(f[1] * 3 + f[2], f[1], f[1])

        self.conv0_4 = VGGBlock(f[0] * 4 + f[1], f[0], f[0])

        n_heads = 4 if deep_supervision else 1
        self.heads = nn.ModuleList([nn.Conv2d(f[0], num_classes, 1) for _ in range(n_heads)])

    def forward(self, x):
        x0_0 = self.conv0_0(x)
        x1_0 = self.conv1_0(self.pool(x0_0))
        x0_1 = self.conv0_1(torch.cat([x0_0, self.up(x1_0)], 1))
        x2_0 = self.conv2_0(self.pool(x1_0))
        x1_1 = self.conv1_1(torch.cat([x1_0, self.up(x2_0)], 1))
        x0_2 = self.conv0_2(torch.cat([x0_0, x0_1, self.up(x1_1)], 1))
        x3_0 = self.conv3_0(self.pool(x2_0))
        x2_1 = self.conv2_1(torch.cat([x2_0, self.up(x3_0)], 1))
        x1_2 = self.conv1_2(torch.cat([x1_0, x1_1, self.up(x2_1)], 1))
        x0_3 = self.conv0_3(torch.cat([x0_0, x0_1, x0_2, self.up(x1_2)], 1))
        x4_0 = self.conv4_0(self.pool(x3_0))
        x3_1 = self.conv3_1(torch.cat([x3_0, self.up(x4_0)], 1))
        x2_2 = self.conv2_2(torch.cat([x2_0, x2_1, self.up(x3_1)], 1))
        x1_3 = self.conv1_3(torch.cat([x1_0, x1_1, x1_2, self.up(x2_2)], 1))
        x0_4 = self.conv0_4(torch.cat([x0_0, x0_1, x0_2, x0_3, self.up(x1_3)], 1))
        if self.deep_supervision:
            return [h(t) for h, t in zip(self.heads, [x0_1, x0_2, x0_3, x0_4])]
        return [self.heads[0](x0_4)]


def bce_dice(logits, target):
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    inter = (p * target).sum((1, 2, 3))
    dice = (2 * inter + 1e-5) / (p.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1e-5)
    return bce + 1 - dice.mean()


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    ious = []
    for img, mask in loader:
        img, mask = img.to(device), mask.to(device)
        pred = (model(img)[-1] > 0).float()
        inter = (pred * mask).sum()
        union = pred.sum() + mask.sum() - inter
        ious.append(((inter + 1e-5) / (union + 1e-5)).item())
    return sum(ious) / len(ious)


def train():
    device = torch.device("cuda")
    model = NestedUNet(1, 3, CONFIG["deep_supervision"], CONFIG["nb_filter"]).to(device)
    train_loader = DataLoader(NucleiDataset("train"), batch_size=CONFIG["batch_size"],
                              shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(NucleiDataset("val"), batch_size=1)
    opt = torch.optim.Adam(model.parameters(), lr=CONFIG["lr"])
    for epoch in range(CONFIG["epochs"]):
        model.train()
        for img, mask in train_loader:
            img, mask = img.to(device), mask.to(device)
            outs = model(img)
            loss = sum(bce_dice(o, mask) for o in outs) / len(outs)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch} val IoU {validate(model, val_loader, device):.4f}")


if __name__ == "__main__":
    train()
