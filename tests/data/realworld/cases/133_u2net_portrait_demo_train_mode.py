import argparse

import cv2
import numpy as np
import torch
import torch.nn as nn


class REBNCONV(nn.Module):
    def __init__(self, in_ch=3, out_ch=3, dirate=1):
        super().__init__()
        self.conv_s1 = nn.Conv2d(in_ch, out_ch, 3, padding=1 * dirate, dilation=1 * dirate)
        self.bn_s1 = nn.BatchNorm2d(out_ch)
        self.relu_s1 = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu_s1(self.bn_s1(self.conv_s1(x)))


class U2NET(nn.Module):
    def __init__(self, in_ch=3, out_ch=1):
        super().__init__()
        self.stage1 = nn.Sequential(REBNCONV(in_ch, 32), REBNCONV(32, 64))
        self.side1 = nn.Conv2d(64, out_ch, 3, padding=1)

    def forward(self, x):
        return torch.sigmoid(self.side1(self.stage1(x)))


def normalize(image):
    image = image.astype(np.float32) / 255.0
    return (image - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="./checkpoints/u2net_portrait.pth")
    parser.add_argument("--image", required=True)
    args = parser.parse_args()

    net = U2NET(3, 1)
    net.load_state_dict(torch.load(args.model, map_location="cpu"))
    if torch.cuda.is_available():
        net.cuda()
    net.train()

    image = cv2.cvtColor(cv2.imread(args.image), cv2.COLOR_BGR2RGB)
    tensor = torch.from_numpy(normalize(cv2.resize(image, (512, 512))).transpose(2, 0, 1)).float().unsqueeze(0)
    with torch.no_grad():
        pred = net(tensor.cuda() if torch.cuda.is_available() else tensor)
    mask = (pred[0, 0].cpu().numpy() * 255).astype(np.uint8)
    cv2.imwrite("portrait_mask.png", cv2.resize(mask, (image.shape[1], image.shape[0])))


if __name__ == "__main__":
    main()
