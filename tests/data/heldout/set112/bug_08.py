"""U-Net style segmentation with a frozen ImageNet ResNet-34 encoder.

Only the decoder is trained (small dataset, ~600 images). The encoder is
frozen: BN in eval mode and no gradients.
"""
import argparse
import glob
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn, optim
from torch.utils.data import DataLoader, Dataset
from torchvision.models import ResNet34_Weights, resnet34
import torchvision.transforms.functional as TF


class SegDataset(Dataset):
    def __init__(self, root, split="train", size=256):
        self.images = sorted(glob.glob(os.path.join(root, split, "images", "*.png")))
        self.masks = sorted(glob.glob(os.path.join(root, split, "masks", "*.png")))
        self.size = size
        self.train = split == "train"

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = Image.open(self.images[i]).convert("RGB").resize((self.size, self.size))
        mask = Image.open(self.masks[i]).resize((self.size, self.size), Image.NEAREST)
        if self.train and np.random.rand() < 0.5:
            img, mask = TF.hflip(img), TF.hflip(mask)
        img = TF.normalize(TF.to_tensor(img), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        return img, torch.from_numpy(np.array(mask, dtype=np.int64))


def decoder_block(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch, 0.1),  # expect: BN206
        nn.ReLU(inplace=True),
    )


class UpBlock(nn.Module):
    def __init__(self, in_ch, skip_ch, out_ch):
        super().__init__()
        self.conv = decoder_block(in_ch + skip_ch, out_ch)

    def forward(self, x, skip):
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([x, skip], dim=1))


class ResNetUNet(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        enc = resnet34(weights=ResNet34_Weights.IMAGENET1K_V1)
        self.stem = nn.Sequential(enc.conv1, enc.bn1, enc.relu)   # 64, /2
        self.pool = enc.maxpool
        self.enc1, self.enc2, self.enc3, self.enc4 = enc.layer1, enc.layer2, enc.layer3, enc.layer4
        self.up4 = UpBlock(512, 256, 256)
        self.up3 = UpBlock(256, 128, 128)
        self.up2 = UpBlock(128, 64, 64)
        self.up1 = UpBlock(64, 64, 32)
        self.head = nn.Conv2d(32, n_classes, kernel_size=1)

    def encoder_modules(self):
        return [self.stem, self.enc1, self.enc2, self.enc3, self.enc4]

    def forward(self, x):
        h, w = x.shape[-2:]
        s0 = self.stem(x)
        s1 = self.enc1(self.pool(s0))
        s2 = self.enc2(s1)
        s3 = self.enc3(s2)
        s4 = self.enc4(s3)
        d = self.up4(s4, s3)
        d = self.up3(d, s2)
        d = self.up2(d, s1)
        d = self.up1(d, s0)
        return F.interpolate(self.head(d), size=(h, w), mode="bilinear", align_corners=False)


def freeze_encoder(model):
    for m in model.encoder_modules():
        m.eval()
        for p in m.parameters():
            p.requires_grad = False


def mean_iou(pred, target, n_classes):
    ious = []
    for c in range(n_classes):
        inter = ((pred == c) & (target == c)).sum().item()
        union = ((pred == c) | (target == c)).sum().item()
        if union > 0:
            ious.append(inter / union)
    return float(np.mean(ious)) if ious else 0.0


@torch.no_grad()
def validate(model, loader, device, n_classes):
    model.eval()
    scores = []
    for img, mask in loader:
        pred = model(img.to(device)).argmax(1).cpu()
        scores.append(mean_iou(pred, mask, n_classes))
    return float(np.mean(scores))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/seg")
    ap.add_argument("--classes", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader = DataLoader(SegDataset(args.root, "train"), batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(SegDataset(args.root, "val"), batch_size=8, shuffle=False, num_workers=2)

    model = ResNetUNet(args.classes).to(device)
    freeze_encoder(model)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    criterion = nn.CrossEntropyLoss()

    best = 0.0
    for epoch in range(args.epochs):
        model.train()  # expect: BN105
        epoch_loss = 0.0
        for img, mask in train_loader:
            img, mask = img.to(device), mask.to(device)
            loss = criterion(model(img), mask)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        miou = validate(model, val_loader, device, args.classes)
        print(f"[{epoch + 1}/{args.epochs}] loss={epoch_loss / len(train_loader):.4f} mIoU={miou:.4f}")
        if miou > best:
            best = miou
            torch.save(model.state_dict(), "unet_r34_frozen.pth")


if __name__ == "__main__":
    main()
