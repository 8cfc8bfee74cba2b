"""Small U-Net for binary road segmentation, with an auxiliary image-level head."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn_relu(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1),  # expect: BN204
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class DoubleConv(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.block = nn.Sequential(conv_bn_relu(in_ch, out_ch), conv_bn_relu(out_ch, out_ch))

    def forward(self, x):
        return self.block(x)


class RoadUNet(nn.Module):
    def __init__(self, base=32):
        super().__init__()
        self.enc1 = DoubleConv(3, base)
        self.enc2 = DoubleConv(base, base * 2)
        self.enc3 = DoubleConv(base * 2, base * 4)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, 2, stride=2)
        self.dec2 = DoubleConv(base * 4, base * 2)
        self.up1 = nn.ConvTranspose2d(base * 2, base, 2, stride=2)
        self.dec1 = DoubleConv(base * 2, base)
        self.seg_head = nn.Conv2d(base, 1, kernel_size=1)
        # auxiliary "does this tile contain any road" head
        self.aux_pool = nn.AdaptiveAvgPool2d(1)
        self.aux_fc = nn.Linear(base * 4, 64, bias=True)  # expect: BN204
        self.aux_bn = nn.BatchNorm1d(64)
        self.aux_out = nn.Linear(64, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        e3 = self.enc3(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(e3), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        aux = torch.flatten(self.aux_pool(e3), 1)
        aux = self.aux_out(F.relu(self.aux_bn(self.aux_fc(aux))))
        return self.seg_head(d1), aux


def dice_loss(logits, target, eps=1.0):
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum(dim=(1, 2, 3))
    union = prob.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3))
    return (1 - (2 * inter + eps) / (union + eps)).mean()


def train_step(model, images, masks, optimizer):
    model.train()
    optimizer.zero_grad()
    seg, aux = model(images)
    has_road = (masks.flatten(1).amax(dim=1, keepdim=True) > 0).float()
    loss = (
        F.binary_cross_entropy_with_logits(seg, masks)
        + dice_loss(seg, masks)
        + 0.2 * F.binary_cross_entropy_with_logits(aux, has_road)
    )
    loss.backward()
    optimizer.step()
    return loss.item()
