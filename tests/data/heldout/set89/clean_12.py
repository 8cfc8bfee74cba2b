# YOLO-lite model definition (models/yolo.py)
"""
Usage:
    $ python models/yolo.py --cfg yolo-lite-s.yaml
"""

import argparse
import contextlib
import math
from copy import deepcopy

import torch
import torch.nn as nn

ANCHORS = (
    (10, 13, 16, 30, 33, 23),
    (30, 61, 62, 45, 59, 119),
    (116, 90, 156, 198, 373, 326),
)


def autopad(k, p=None):
    return k // 2 if p is None else p


class Conv(nn.Module):
    def __init__(self, c1, c2, k=1, s=1, p=None, g=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, autopad(k, p), groups=g, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=0.001, momentum=0.03)
        self.act = nn.SiLU() if act is True else (act if isinstance(act, nn.Module) else nn.Identity())

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))

    def forward_fuse(self, x):
        return self.act(self.conv(x))


class C3(nn.Module):
    def __init__(self, c1, c2, n=1, e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c1, c_, 1, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(nn.Sequential(Conv(c_, c_, 1), Conv(c_, c_, 3)) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class Detect(nn.Module):
    stride = None

    def __init__(self, nc=80, anchors=ANCHORS, ch=()):
        super().__init__()
        self.nc = nc
        self.no = nc + 5
        self.nl = len(anchors)
        self.na = len(anchors[0]) // 2
        self.register_buffer("anchors", torch.tensor(anchors).float().view(self.nl, -1, 2))
        self.m = nn.ModuleList(nn.Conv2d(x, self.no * self.na, 1) for x in ch)

    def forward(self, x):
        for i in range(self.nl):
            x[i] = self.m[i](x[i])
            bs, _, ny, nx = x[i].shape
            x[i] = x[i].view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
        return x


def fuse_conv_and_bn(conv, bn):
    fusedconv = nn.Conv2d(conv.in_channels, conv.out_channels, kernel_size=conv.kernel_size, stride=conv.stride,
                          padding=conv.padding, groups=conv.groups, bias=True).requires_grad_(False)
    w_conv = conv.weight.clone().view(conv.out_channels, -1)
    w_bn = torch.diag(bn.weight.div(torch.sqrt(bn.eps + bn.running_var)))
    fusedconv.weight.copy_(torch.mm(w_bn, w_conv).view(fusedconv.weight.shape))
    b_conv = torch.zeros(conv.weight.size(0), device=conv.weight.device) if conv.bias is None else conv.bias
    b_bn = bn.bias - bn.weight.mul(bn.running_mean).div(torch.sqrt(bn.running_var + bn.eps))
    fusedconv.bias.copy_(torch.mm(w_bn, b_conv.reshape(-1, 1)).reshape(-1) + b_bn)
    return fusedconv


class DetectionModel(nn.Module):
    def __init__(self, nc=80, width=0.5, depth=0.33):
        super().__init__()
        c = [int(x * width) for x in (64, 128, 256, 512, 1024)]
        n = max(round(3 * depth), 1)
        self.stem = Conv(3, c[0], 6, 2, 2)
        self.dark2 = nn.Sequential(Conv(c[0], c[1], 3, 2), C3(c[1], c[1], n))
        self.dark3 = nn.Sequential(Conv(c[1], c[2], 3, 2), C3(c[2], c[2], 2 * n))
        self.dark4 = nn.Sequential(Conv(c[2], c[3], 3, 2), C3(c[3], c[3], 3 * n))
        self.dark5 = nn.Sequential(Conv(c[3], c[4], 3, 2), C3(c[4], c[4], n))
        self.detect = Detect(nc, ch=(c[2], c[3], c[4]))
        self.detect.stride = torch.tensor([8.0, 16.0, 32.0])
        self.initialize_biases()
        initialize_weights(self)

    def forward(self, x):
        x = self.dark2(self.stem(x))
        p3 = self.dark3(x)
        p4 = self.dark4(p3)
        p5 = self.dark5(p4)
        return self.detect([p3, p4, p5])

    def initialize_biases(self):
        m = self.detect
        for mi, s in zip(m.m, m.stride):
            b = mi.bias.view(m.na, -1)
            b.data[:, 4] += math.log(8 / (640 / s) ** 2)
            b.data[:, 5:5 + m.nc] += math.log(0.6 / (m.nc - 0.99))
            mi.bias = torch.nn.Parameter(b.view(-1), requires_grad=True)

    def fuse(self):
        for m in self.modules():
            if isinstance(m, Conv) and hasattr(m, "bn"):
                m.conv = fuse_conv_and_bn(m.conv, m.bn)
                delattr(m, "bn")
                m.forward = m.forward_fuse
        return self


def initialize_weights(model):
    for m in model.modules():
        t = type(m)
        if t is nn.BatchNorm2d:
            m.eps = 1e-3
            m.momentum = 0.03
        elif t in [nn.Hardswish, nn.LeakyReLU, nn.ReLU, nn.ReLU6, nn.SiLU]:
            m.inplace = True


class ModelEMA:
    """Updated Exponential Moving Average (EMA) of the model weights; buffers are copied."""

    def __init__(self, model, decay=0.9999, tau=2000, updates=0):
        self.ema = deepcopy(model).eval()
        self.updates = updates
        self.decay = lambda x: decay * (1 - math.exp(-x / tau))
        for p in self.ema.parameters():
            p.requires_grad_(False)

    def update(self, model):
        self.updates += 1
        d = self.decay(self.updates)
        msd = model.state_dict()
        with torch.no_grad():
            for k, v in self.ema.state_dict().items():
                if v.dtype.is_floating_point:
                    v *= d
                    v += (1 - d) * msd[k].detach()


def attempt_load(weights, device=None, fuse=True):
    ckpt = torch.load(weights, map_location="cpu")
    model = DetectionModel(nc=ckpt["nc"])
    model.load_state_dict(ckpt["ema"] or ckpt["model"])
    model.to(device).float()
    model.eval()
    if fuse:
        model.fuse()
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default="")
    parser.add_argument("--profile", action="store_true")
    opt = parser.parse_args()

    im = torch.rand(1, 3, 640, 640)
    if opt.weights:
        model = attempt_load(opt.weights)
    else:
        model = DetectionModel(nc=80)
        model.eval()
        model.fuse()
    with contextlib.suppress(Exception), torch.no_grad():
        y = model(im)
        print([yi.shape for yi in y])
