import torch
import torch.nn as nn
import torch.nn.functional as F

from scnet import scnet50


class SCConv(nn.Module):
    def __init__(self, inplanes, planes, stride, padding, dilation, groups, pooling_r, norm_layer):
        super().__init__()
        self.k2 = nn.Sequential(
            nn.AvgPool2d(kernel_size=pooling_r, stride=pooling_r),
            nn.Conv2d(inplanes, planes, kernel_size=3, stride=1, padding=padding, dilation=dilation, groups=groups,
                      bias=False),
            norm_layer(planes),
        )
        self.k3 = nn.Sequential(nn.Conv2d(inplanes, planes, 3, 1, padding, dilation, groups, bias=False),
                                norm_layer(planes))
        self.k4 = nn.Sequential(nn.Conv2d(inplanes, planes, 3, stride, padding, dilation, groups, bias=False),
                                norm_layer(planes))

    def forward(self, x):
        identity = x
        # at the last stage the 7x7 map is pooled by r=4 to 1x1 before norm_layer
        out = torch.sigmoid(torch.add(identity, F.interpolate(self.k2(x), identity.size()[2:])))
        out = torch.mul(self.k3(x), out)
        return self.k4(out)


model = scnet50(pretrained=True)
model = model.cuda(0)
img = torch.Tensor(1, 3, 224, 224).cuda(0)
out = model(img)
print(out.shape)
