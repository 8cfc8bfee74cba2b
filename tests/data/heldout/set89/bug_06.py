#!/usr/bin/env python3
# -*- coding:utf-8 -*-
# YOLOX-style network blocks, PAFPN neck and decoupled head (yolox_lite/models/yolo_pafpn_head.py)

import torch
import torch.nn as nn


def get_activation(name="silu", inplace=True):
    if name == "silu":
        module = nn.SiLU(inplace=inplace)
    elif name == "relu":
        module = nn.ReLU(inplace=inplace)
    elif name == "lrelu":
        module = nn.LeakyReLU(0.1, inplace=inplace)
    else:
        raise AttributeError("Unsupported act type: {}".format(name))
    return module


class BaseConv(nn.Module):
    """A Conv2d -> Batchnorm -> silu/leaky relu block"""

    def __init__(self, in_channels, out_channels, ksize, stride, groups=1, bias=False, act="silu",
                 eps=1e-3, momentum=0.03):
        super().__init__()
        # same padding
        pad = (ksize - 1) // 2
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=ksize, stride=stride,
                              padding=pad, groups=groups, bias=bias)
        self.bn = nn.BatchNorm2d(out_channels, eps=eps, momentum=momentum)
        self.act = get_activation(act, inplace=True)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))

    def fuseforward(self, x):
        return self.act(self.conv(x))


class DWConv(nn.Module):
    """Depthwise Conv + Conv"""

    def __init__(self, in_channels, out_channels, ksize, stride=1, act="silu"):
        super().__init__()
        self.dconv = BaseConv(in_channels, in_channels, ksize=ksize, stride=stride, groups=in_channels, act=act)
        self.pconv = BaseConv(in_channels, out_channels, ksize=1, stride=1, groups=1, act=act)

    def forward(self, x):
        return self.pconv(self.dconv(x))


class YOLOPAFPN(nn.Module):
    """Top-down + bottom-up path aggregation over dark3/dark4/dark5 features."""

    def __init__(self, width=1.0, in_channels=(256, 512, 1024), depthwise=False, act="silu"):
        super().__init__()
        Conv = DWConv if depthwise else BaseConv
        self.in_channels = in_channels
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.lateral_conv0 = BaseConv(int(in_channels[2] * width), int(in_channels[1] * width), 1, 1, act=act)
        self.C3_p4 = Conv(int(2 * in_channels[1] * width), int(in_channels[1] * width), 3, 1, act=act)
        self.reduce_conv1 = BaseConv(int(in_channels[1] * width), int(in_channels[0] * width), 1, 1, act=act)
        self.C3_p3 = Conv(int(2 * in_channels[0] * width), int(in_channels[0] * width), 3, 1, act=act)
        self.bu_conv2 = Conv(int(in_channels[0] * width), int(in_channels[0] * width), 3, 2, act=act)
        self.C3_n3 = Conv(int(2 * in_channels[0] * width), int(in_channels[1] * width), 3, 1, act=act)
        self.bu_conv1 = Conv(int(in_channels[1] * width), int(in_channels[1] * width), 3, 2, act=act)
        self.C3_n4 = Conv(int(2 * in_channels[1] * width), int(in_channels[2] * width), 3, 1, act=act)

    def forward(self, features):
        x2, x1, x0 = features
        fpn_out0 = self.lateral_conv0(x0)  # 1024->512/32
        f_out0 = self.C3_p4(torch.cat([self.upsample(fpn_out0), x1], 1))  # 512->1024/16 -> 512/16
        fpn_out1 = self.reduce_conv1(f_out0)  # 512->256/16
        pan_out2 = self.C3_p3(torch.cat([self.upsample(fpn_out1), x2], 1))  # 512->256/8
        p_out1 = self.C3_n3(torch.cat([self.bu_conv2(pan_out2), fpn_out1], 1))  # 256->512/16
        pan_out1 = p_out1
        p_out0 = self.C3_n4(torch.cat([self.bu_conv1(pan_out1), fpn_out0], 1))  # 512->1024/32
        return pan_out2, pan_out1, p_out0


class YOLOXHead(nn.Module):
    def __init__(self, num_classes=80, width=1.0, strides=(8, 16, 32), in_channels=(256, 512, 1024), act="silu"):
        super().__init__()
        self.num_classes = num_classes
        self.strides = strides
        self.stems = nn.ModuleList()
        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        self.cls_preds = nn.ModuleList()
        self.reg_preds = nn.ModuleList()
        self.obj_preds = nn.ModuleList()
        self.iou_stems = nn.ModuleList()
        hidden = int(256 * width)

        for i in range(len(in_channels)):
            self.stems.append(BaseConv(int(in_channels[i] * width), hidden, ksize=1, stride=1, act=act, momentum=0.97))  # expect: BN205
            self.cls_convs.append(nn.Sequential(BaseConv(hidden, hidden, 3, 1, act=act),
                                                BaseConv(hidden, hidden, 3, 1, act=act)))
            self.reg_convs.append(nn.Sequential(BaseConv(hidden, hidden, 3, 1, act=act),
                                                BaseConv(hidden, hidden, 3, 1, act=act)))
            self.iou_stems.append(nn.Sequential(
                nn.Conv2d(hidden, 128, kernel_size=3, stride=1, padding=1, bias=False),
                nn.BatchNorm2d(256),  # expect: BN201
                nn.SiLU(inplace=True),
            ))
            self.cls_preds.append(nn.Conv2d(hidden, self.num_classes, 1, 1, 0))
            self.reg_preds.append(nn.Conv2d(hidden, 4, 1, 1, 0))
            self.obj_preds.append(nn.Conv2d(128, 1, 1, 1, 0))

    def forward(self, xin):
        outputs = []
        for k, (cls_conv, reg_conv, stride, x) in enumerate(zip(self.cls_convs, self.reg_convs, self.strides, xin)):
            x = self.stems[k](x)
            cls_feat = cls_conv(x)
            reg_feat = reg_conv(x)
            cls_output = self.cls_preds[k](cls_feat)
            reg_output = self.reg_preds[k](reg_feat)
            obj_output = self.obj_preds[k](self.iou_stems[k](reg_feat))
            if self.training:
                outputs.append(torch.cat([reg_output, obj_output, cls_output], 1))
            else:
                outputs.append(torch.cat([reg_output, obj_output.sigmoid(), cls_output.sigmoid()], 1))
        return outputs


class YOLOXLite(nn.Module):
    def __init__(self, backbone, num_classes=80, width=0.5):
        super().__init__()
        self.backbone = backbone
        self.neck = YOLOPAFPN(width=width)
        self.head = YOLOXHead(num_classes, width=width)

    def forward(self, x):
        return self.head(self.neck(self.backbone(x)))


class DarkStem(nn.Module):
    """Toy backbone returning dark3/dark4/dark5 with YOLOX-s channel counts (width=0.5)."""

    def __init__(self, width=0.5):
        super().__init__()
        c = [int(x * width) for x in (64, 128, 256, 512, 1024)]
        self.stem = BaseConv(3, c[0], 3, 2)
        self.dark2 = BaseConv(c[0], c[1], 3, 2)
        self.dark3 = BaseConv(c[1], c[2], 3, 2)
        self.dark4 = BaseConv(c[2], c[3], 3, 2)
        self.dark5 = BaseConv(c[3], c[4], 3, 2)

    def forward(self, x):
        x = self.dark2(self.stem(x))
        d3 = self.dark3(x)
        d4 = self.dark4(d3)
        d5 = self.dark5(d4)
        return d3, d4, d5


@torch.no_grad()
def predict_image(model, img, conf_thre=0.25):
    outputs = model(img)  # expect: BN101
    preds = []
    for out in outputs:
        n, c, h, w = out.shape
        out = out.flatten(2).permute(0, 2, 1)
        scores = out[..., 4:5] * out[..., 5:]
        best, cls = scores.max(-1)
        keep = best > conf_thre
        preds.append((out[..., :4][keep], best[keep], cls[keep]))
    return preds


if __name__ == "__main__":
    net = YOLOXLite(DarkStem(width=0.5), num_classes=80, width=0.5)
    image = torch.rand(1, 3, 640, 640)
    for boxes, scores, classes in predict_image(net, image):
        print(boxes.shape, scores.shape, classes.shape)
