import os
import timeit

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import extract.extractC2 as EC


def weight_init(m):
    if isinstance(m, (nn.Conv2d,)):
        torch.nn.init.xavier_normal_(m.weight, gain=1.0)
        if m.weight.data.shape[1] == torch.Size([1]):
            torch.nn.init.normal_(m.weight, mean=0.0)
        if m.bias is not None:
            torch.nn.init.zeros_(m.bias)
    if isinstance(m, (nn.ConvTranspose2d,)):
        torch.nn.init.xavier_normal_(m.weight, gain=1.0)
        if m.weight.data.shape[1] == torch.Size([1]):
            torch.nn.init.normal_(m.weight, std=0.1)
        if m.bias is not None:
            torch.nn.init.zeros_(m.bias)


class UpConvBlock(nn.Module):
    def __init__(self, in_features, up_scale):
        super(UpConvBlock, self).__init__()
        self.up_factor = 2
        self.constant_features = 16
        layers = self.make_deconv_layers(in_features, up_scale)
        self.features = nn.Sequential(*layers)

    def make_deconv_layers(self, in_features, up_scale):
        layers = []
        all_pads = [0, 0, 1, 3, 7]
        for i in range(up_scale):
            kernel_size = 2 ** up_scale
            pad = all_pads[up_scale]
            out_features = self.compute_out_features(i, up_scale)
            layers.append(nn.Conv2d(in_features, out_features, 1))
            layers.append(nn.ReLU(inplace=True))
            layers.append(nn.ConvTranspose2d(out_features, out_features, kernel_size, stride=2, padding=pad))
            in_features = out_features
        return layers

    def compute_out_features(self, idx, up_scale):
        return 1 if idx == up_scale - 1 else self.constant_features

    def forward(self, x):
        return self.features(x)


class SingleConvBlock(nn.Module):
    def __init__(self, in_features, out_features, stride, use_bs=True):
        super(SingleConvBlock, self).__init__()
        self.use_bn = use_bs
        self.conv = nn.Conv2d(in_features, out_features, 1, stride=stride, bias=True)
        self.bn = nn.BatchNorm2d(out_features)

    def forward(self, x):
        x = self.conv(x)
        if self.use_bn:
            x = self.bn(x)
        return x


class DoubleConvBlock(nn.Module):
    def __init__(self, in_features, mid_features, out_features=None, stride=1, use_act=True):
        super(DoubleConvBlock, self).__init__()
        self.use_act = use_act
        if out_features is None:
            out_features = mid_features
        self.conv1 = nn.Conv2d(in_features, mid_features, 3, padding=1, stride=stride)
        self.bn1 = nn.BatchNorm2d(mid_features)
        self.conv2 = nn.Conv2d(mid_features, out_features, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(out_features)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        x = x if x.shape[1] != 1 else torch.cat([x, x, x], dim=1)
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.conv2(x)
        x = self.bn2(x)
        if self.use_act:
            x = self.relu(x)
        return x


class DexiNed(nn.Module):
    def __init__(self):
        super(DexiNed, self).__init__()
        self.block_1 = DoubleConvBlock(3, 32, 64, stride=2)
        self.block_2 = DoubleConvBlock(64, 128, use_act=False)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.side_1 = SingleConvBlock(64, 128, 2)
        self.up_block_1 = UpConvBlock(64, 1)
        self.up_block_2 = UpConvBlock(128, 1)
        self.block_cat = SingleConvBlock(2, 1, stride=1, use_bs=False)
        self.apply(weight_init)

    def forward(self, x):
        assert x.ndim == 4, x.shape
        block_1 = self.block_1(x)
        block_1_side = self.side_1(block_1)
        block_2 = self.block_2(block_1)
        block_2_down = self.maxpool(block_2)
        block_2_add = block_2_down + block_1_side
        out_1 = self.up_block_1(block_1)
        out_2 = self.up_block_2(block_2)
        results = [out_1, out_2]
        block_cat = torch.cat(results, dim=1)
        block_cat = self.block_cat(block_cat)
        return block_cat


THETARESOLUTION = 6
KERNEL_SIZE = 9

Premodel = DexiNed().cuda(0)
Premodel.load_state_dict(torch.load("dexi.pth"))


def init_OD(THETARESOLUTION, KERNEL_SIZE):
    OD = nn.Conv2d(1, THETARESOLUTION, KERNEL_SIZE, 1, KERNEL_SIZE // 2, bias=False).cuda()
    for i in range(THETARESOLUTION):
        kernel = np.zeros((KERNEL_SIZE, KERNEL_SIZE))
        angle = i * 180 / THETARESOLUTION
        x = (np.cos(angle / 180 * 3.1415926) * 50).astype(np.int32)
        y = (np.sin(angle / 180 * 3.1415926) * 50).astype(np.int32)
        cv2.line(kernel, (KERNEL_SIZE // 2 - x, KERNEL_SIZE // 2 - y), (KERNEL_SIZE // 2 + x, KERNEL_SIZE // 2 + y), 1, 1)
        OD.weight.data[i] = torch.tensor(kernel)
    return OD


OrientationDetector = init_OD(THETARESOLUTION, KERNEL_SIZE)


if __name__ == '__main__':
    tempMem = np.zeros((50000, 2), dtype=np.int32)
    tempMem2 = np.zeros((2, 300000, 2), dtype=np.int32)
    sequencePath = r'D:\Downloads\new_euroc_style\new_euroc_style\cam1\data'
    demo = 1
    for o in os.listdir(sequencePath):
        linenum = 0
        rx1 = cv2.imread(sequencePath + '\\' + o, cv2.IMREAD_UNCHANGED)
        res = 16
        dscale = 1
        rx1 = cv2.resize(rx1, (rx1.shape[1] // dscale // res * res, rx1.shape[0] // dscale // res * res))
        if len(rx1.shape) == 2:
            rx1 = cv2.cvtColor(rx1, cv2.COLOR_GRAY2RGB)
        elif rx1.shape[2] == 4:
            rx1 = cv2.cvtColor(rx1, cv2.COLOR_RGBA2RGB)
        rx1 = np.ascontiguousarray(rx1)
        x1 = rx1
        t = timeit.default_timer()
        x1 = torch.tensor(x1).cuda() / 255
        x1 = x1.permute(2, 0, 1)
        lineDetection1 = Premodel(x1.unsqueeze(0))
        THETADes = OrientationDetector(lineDetection1)
        THETADes = torch.nn.functional.normalize(THETADes - THETADes.mean(1), p=2.0, dim=1)
        edgeNp = lineDetection1.detach().cpu().numpy()[0, 0]
        outMap = np.zeros_like(edgeNp, dtype=np.uint8)
        outMap = np.expand_dims(outMap, 2).repeat(3, 2)
        out = np.zeros((30000, 2, 2), dtype=np.float32)
        tempMem3 = np.zeros((30000, 2, 2), dtype=np.float32)
        edgeNp = (edgeNp > 0.5).astype(np.uint8) * 255
        cv2.imshow('edge', edgeNp)
        linenum = EC.desGrow(outMap, edgeNp, THETADes[0].detach().cpu().numpy(), out, 0.9, 10, tempMem, tempMem2,
                             tempMem3, THETARESOLUTION)
        cv2.imshow('seg', outMap)
        out = out.astype(np.int32)
        color = (255, 255, 0)
        if demo:
            for i in range(linenum):
                cv2.line(rx1, (out[i, 0, 1], out[i, 0, 0]), (out[i, 1, 1], out[i, 1, 0]), color, 2)
        cv2.imshow("x", rx1)
        cv2.waitKey(1)
