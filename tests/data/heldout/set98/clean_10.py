"""U-Net for road segmentation from aerial tiles, ported from a Keras model.

Port notes:
  * Keras Conv2D has use_bias=True by default; in front of BatchNorm the bias is
    redundant, so the conv-BN-ReLU blocks use bias=False.
  * The lab's Keras bottleneck used Conv -> ReLU -> BN (activation before the
    norm). That order is kept; there the conv bias is not cancelled by BN.
  * Keras' channels-last tiles (H, W, C) are permuted to (C, H, W) in the dataset.
"""
import glob

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CFG = {"batch_size": 16, "epochs": 80, "lr": 3e-4, "tile": 256, "filters": 32}


def conv_bn_relu(in_ch, out_ch):
    return [nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True)]


def down(in_ch, out_ch):
    return nn.Sequential(*conv_bn_relu(in_ch, out_ch), *conv_bn_relu(out_ch, out_ch))


class Bottleneck(nn.Module):
    """Conv -> ReLU -> BN, as in the original Keras graph."""

    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_ch, out_ch, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(out_ch),
            nn.Conv2d(out_ch, out_ch, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(out_ch),
        )

    def forward(self, x):
        return self.body(x)


class RoadUNet(nn.Module):
    def __init__(self, f=32):
        super().__init__()
        self.e1, self.e2, self.e3 = down(3, f), down(f, 2 * f), down(2 * f, 4 * f)
        self.mid = Bottleneck(4 * f, 8 * f)
        self.u3 = nn.ConvTranspose2d(8 * f, 4 * f, 2, stride=2)
        self.d3 = down(8 * f, 4 * f)
        self.u2 = nn.ConvTranspose2d(4 * f, 2 * f, 2, stride=2)
        self.d2 = down(4 * f, 2 * f)
        self.u1 = nn.ConvTranspose2d(2 * f, f, 2, stride=2)
        self.d1 = down(2 * f, f)
        self.head = nn.Conv2d(f, 1, 1)

    def forward(self, x):
        s1 = self.e1(x)
        s2 = self.e2(F.max_pool2d(s1, 2))
        s3 = self.e3(F.max_pool2d(s2, 2))
        m = self.mid(F.max_pool2d(s3, 2))
        x = self.d3(torch.cat([self.u3(m), s3], 1))
        x = self.d2(torch.cat([self.u2(x), s2], 1))
        x = self.d1(torch.cat([self.u1(x), s1], 1))
        return self.head(x)


class AerialTiles(Dataset):
    def __init__(self, pattern):
        self.files = sorted(glob.glob(pattern))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        arr = np.load(self.files[i])                        # (H, W, 4): RGB + road mask, channels-last
        img = torch.from_numpy(arr[..., :3]).permute(2, 0, 1).float() / 255.0
        mask = torch.from_numpy(arr[..., 3:]).permute(2, 0, 1).float()
        return img, mask


def dice(logits, target, eps=1.0):
    p = torch.sigmoid(logits)
    inter = (p * target).sum((1, 2, 3))
    return ((2 * inter + eps) / (p.sum((1, 2, 3)) + target.sum((1, 2, 3)) + eps)).mean()


@torch.no_grad()
def validate(model, loader):
    model.eval()
    scores = [dice(model(x.cuda()), y.cuda()).item() for x, y in loader]
    return sum(scores) / len(scores)


@torch.inference_mode()
def predict_mosaic(model, image, tile=256):
    """image: (3, H, W) with H, W multiples of `tile`."""
    model.eval()
    _, h, w = image.shape
    out = torch.zeros(1, h, w)
    for y in range(0, h, tile):
        for x in range(0, w, tile):
            patch = image[:, y:y + tile, x:x + tile].unsqueeze(0).cuda()
            out[:, y:y + tile, x:x + tile] = torch.sigmoid(model(patch))[0].cpu()
    return out > 0.5


def main():
    train_loader = DataLoader(AerialTiles("tiles/train/*.npy"), batch_size=CFG["batch_size"],
                              shuffle=True, num_workers=6)
    val_loader = DataLoader(AerialTiles("tiles/val/*.npy"), batch_size=CFG["batch_size"])
    model = RoadUNet(CFG["filters"]).cuda()
    optimizer = torch.optim.AdamW(model.parameters(), lr=CFG["lr"])
    bce = nn.BCEWithLogitsLoss()

    best = 0.0
    for epoch in range(CFG["epochs"]):
        model.train()
        for x, y in train_loader:
            x, y = x.cuda(), y.cuda()
            logits = model(x)
            loss = bce(logits, y) + (1 - dice(logits, y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        score = validate(model, val_loader)
        if score > best:
            best = score
            torch.save(model.state_dict(), "road_unet_best.pt")
        print(f"epoch {epoch}: val dice {score:.4f} (best {best:.4f})")

    model.load_state_dict(torch.load("road_unet_best.pt"))
    scene = torch.from_numpy(np.load("scenes/city_block.npy")).permute(2, 0, 1).float() / 255.0
    np.save("city_block_roads.npy", predict_mosaic(model, scene, CFG["tile"]).numpy())


if __name__ == "__main__":
    main()
