"""Bottleneck ResNet for mel-spectrogram "images" (music genre tagging).

The spectrogram is treated as a 1-channel image (batch, 1, 128 mels, frames).
Layers are built through small helpers and a configurable norm layer.
"""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, norm_layer=nn.BatchNorm2d):
        super().__init__()
        width = planes
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.downsample = None
        if stride != 1 or inplanes != planes * self.expansion:
            self.downsample = nn.Sequential(
                conv1x1(inplanes, planes * self.expansion, stride),
                norm_layer(planes * self.expansion),
            )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + identity)


class GenreResNet(nn.Module):
    def __init__(self, layers=(2, 2, 2, 2), n_tags=50, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or partial(nn.BatchNorm2d, eps=1e-3)
        self._norm = norm_layer
        self.inplanes = 32
        self.conv1 = nn.Conv2d(1, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(32, layers[0])
        self.layer2 = self._make_layer(64, layers[1], stride=2)
        self.layer3 = self._make_layer(128, layers[2], stride=2)
        self.layer4 = self._make_layer(256, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        feat = 256 * Bottleneck.expansion
        self.neck = nn.Linear(feat, 512, bias=False)
        self.neck_bn = nn.BatchNorm1d(512)
        self.fc = nn.Linear(512, n_tags)

    def _make_layer(self, planes, blocks, stride=1):
        layers = [Bottleneck(self.inplanes, planes, stride, norm_layer=self._norm)]
        self.inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, norm_layer=self._norm))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        x = F.relu(self.neck_bn(self.neck(x)))
        return self.fc(F.dropout(x, 0.3, self.training))


def train(model, steps=400, batch_size=32, device="cpu"):
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    model.train()
    for step in range(steps):
        spec = torch.randn(batch_size, 1, 128, 256, device=device)
        tags = (torch.rand(batch_size, 50, device=device) < 0.08).float()
        loss = F.binary_cross_entropy_with_logits(model(spec), tags)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            print(f"step {step} bce {loss.item():.4f}")


@torch.no_grad()
def tag_clip(model, spec, top_k=5):
    model.eval()
    scores = torch.sigmoid(model(spec))
    return scores.topk(top_k, dim=-1).indices.tolist()


if __name__ == "__main__":
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    net = GenreResNet().to(dev)
    train(net, device=dev)
    print(tag_clip(net, torch.randn(8, 1, 128, 256, device=dev)))
