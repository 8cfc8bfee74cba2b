"""U-Net for binary segmentation of 256x256 microscopy tiles + a predict script."""
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

FILTERS = (64, 128, 256, 512, 1024)
IN_CHANNELS = 1
NUM_CLASSES = 2


def conv_block(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class UpBlock(nn.Module):
    def __init__(self, in_ch, skip_ch, out_ch):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_ch, in_ch // 2, kernel_size=2, stride=2)
        self.conv = conv_block(in_ch // 2 + skip_ch, out_ch)

    def forward(self, x, skip):
        x = self.up(x)
        dy = skip.size(2) - x.size(2)
        dx = skip.size(3) - x.size(3)
        x = F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(torch.cat([skip, x], dim=1))


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        f = FILTERS
        self.enc1 = conv_block(IN_CHANNELS, f[0])
        self.enc2 = conv_block(f[0], f[1])
        self.enc3 = conv_block(f[1], f[2])
        self.enc4 = conv_block(f[2], f[3])
        self.pool = nn.MaxPool2d(2)
        self.center = nn.Sequential(
            nn.Conv2d(f[3], f[4], kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(f[4]),
            nn.ReLU(inplace=True),
            nn.Dropout2d(0.5),
            nn.Conv2d(f[4], f[4], kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(f[3]),  # expect: BN201
            nn.ReLU(inplace=True),
        )
        self.up4 = UpBlock(f[4], f[3], f[3])
        self.up3 = UpBlock(f[3], f[2], f[2])
        self.up2 = UpBlock(f[2], f[1], f[1])
        self.up1 = UpBlock(f[1], f[0], f[0])
        self.out = nn.Conv2d(f[0], NUM_CLASSES, kernel_size=1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        e3 = self.enc3(self.pool(e2))
        e4 = self.enc4(self.pool(e3))
        c = self.center(self.pool(e4))
        d4 = self.up4(c, e4)
        d3 = self.up3(d4, e3)
        d2 = self.up2(d3, e2)
        d1 = self.up1(d2, e1)
        return self.out(d1)


def load_tile(path):
    img = np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255.0
    img = (img - img.mean()) / (img.std() + 1e-6)
    return torch.from_numpy(img)[None, None]


def main(ckpt_path, image_paths):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = UNet().to(device)
    state = torch.load(ckpt_path, map_location=device)
    model.load_state_dict(state["model"])

    for path in image_paths:
        x = load_tile(path).to(device)
        with torch.no_grad():
            logits = model(x)  # expect: BN101
        mask = logits.argmax(dim=1)[0].cpu().numpy().astype(np.uint8) * 255
        Image.fromarray(mask).save(path.rsplit(".", 1)[0] + "_mask.png")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
