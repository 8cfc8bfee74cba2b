import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torchvision.models.resnet import Bottleneck


class ResNet(nn.Module):
    def __init__(self, depth=50, num_stages=4, frozen_stages=1, norm_eval=False):
        super().__init__()
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.norm1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.res_layers = []
        inplanes = 64
        for i in range(num_stages):
            planes = 64 * 2 ** i
            downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, bias=False), nn.BatchNorm2d(planes * 4))
            layer_name = "layer{}".format(i + 1)
            self.add_module(layer_name, nn.Sequential(Bottleneck(inplanes, planes, downsample=downsample)))
            self.res_layers.append(layer_name)
            inplanes = planes * 4
        self._freeze_stages()

    def _freeze_stages(self):
        if self.frozen_stages >= 0:
            for m in [self.conv1, self.norm1]:
                for param in m.parameters():
                    param.requires_grad = False
        for i in range(1, self.frozen_stages + 1):
            m = getattr(self, "layer{}".format(i))
            for param in m.parameters():
                param.requires_grad = False

    def forward(self, x):
        x = self.relu(self.norm1(self.conv1(x)))
        outs = []
        for layer_name in self.res_layers:
            x = getattr(self, layer_name)(x)
            outs.append(x)
        return tuple(outs)

    def train(self, mode=True):
        super(ResNet, self).train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                # trick: eval have effect on BatchNorm only
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self


def train_detector(backbone, neck_and_head, data_loader, optimizer, epochs=12):
    for epoch in range(epochs):
        backbone.train()
        for img, target in data_loader:
            loss = neck_and_head(backbone(img), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
