"""Plain-nnU-Net style 3-D U-Net for the AMOS abdominal CT challenge.

InstanceNorm + LeakyReLU everywhere (batch size 2 of 128x128x128 patches is all that fits,
so BatchNorm would be useless), deep supervision on the three highest resolutions.
"""
import argparse
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from monai.data import CacheDataset, DataLoader, decollate_batch
from monai.inferers import sliding_window_inference
from monai.metrics import DiceMetric
from monai.transforms import (AsDiscrete, Compose, CropForegroundd, EnsureChannelFirstd, LoadImaged,
                              Orientationd, RandCropByPosNegLabeld, RandFlipd, RandScaleIntensityd,
                              ScaleIntensityRanged, Spacingd)


class ConvNormAct(nn.Sequential):
    def __init__(self, cin, cout, stride=1):
        super().__init__(
            nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=True),
            nn.InstanceNorm3d(cout, eps=1e-5, affine=True),
            nn.LeakyReLU(0.01, inplace=True),
        )


class Stage(nn.Sequential):
    def __init__(self, cin, cout, stride):
        super().__init__(ConvNormAct(cin, cout, stride), ConvNormAct(cout, cout))


class PlainUNet3D(nn.Module):
    def __init__(self, in_ch=1, n_cls=16, feats=(32, 64, 128, 256, 320, 320)):
        super().__init__()
        self.enc = nn.ModuleList()
        for i, f in enumerate(feats):
            self.enc.append(Stage(in_ch if i == 0 else feats[i - 1], f, 1 if i == 0 else 2))
        self.ups, self.dec, self.ds_heads = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        for i in range(len(feats) - 1, 0, -1):
            self.ups.append(nn.ConvTranspose3d(feats[i], feats[i - 1], 2, 2))
            self.dec.append(Stage(feats[i - 1] * 2, feats[i - 1], 1))
            self.ds_heads.append(nn.Conv3d(feats[i - 1], n_cls, 1))

    def forward(self, x):
        skips = []
        for stage in self.enc:
            x = stage(x)
            skips.append(x)
        x = skips.pop()
        outs = []
        for up, dec, head in zip(self.ups, self.dec, self.ds_heads):
            x = dec(torch.cat([up(x), skips.pop()], 1))
            outs.append(head(x))
        if self.training:
            return outs[::-1][:3]  # full res first
        return outs[-1]


def ds_loss(outputs, target, n_cls):
    weights = [1.0, 0.5, 0.25]
    total = 0.0
    for w, out in zip(weights, outputs):
        tgt = F.interpolate(target.float(), size=out.shape[2:], mode="nearest").long()[:, 0]
        ce = F.cross_entropy(out, tgt)
        prob = out.softmax(1)
        oh = F.one_hot(tgt, n_cls).permute(0, 4, 1, 2, 3).float()
        dice = 1 - (2 * (prob * oh).sum((2, 3, 4)) + 1e-5) / (prob.sum((2, 3, 4)) + oh.sum((2, 3, 4)) + 1e-5)
        total = total + w * (ce + dice[:, 1:].mean())
    return total / sum(weights)


def get_transforms(train, patch):
    keys = ["image", "label"]
    t = [LoadImaged(keys), EnsureChannelFirstd(keys), Orientationd(keys, axcodes="RAS"),
         Spacingd(keys, pixdim=(1.5, 1.5, 2.0), mode=("bilinear", "nearest")),
         ScaleIntensityRanged("image", a_min=-991, a_max=362, b_min=0.0, b_max=1.0, clip=True),
         CropForegroundd(keys, source_key="image")]
    if train:
        t += [RandCropByPosNegLabeld(keys, "label", spatial_size=patch, pos=1, neg=1, num_samples=1),
              RandFlipd(keys, prob=0.5, spatial_axis=0), RandFlipd(keys, prob=0.5, spatial_axis=1),
              RandScaleIntensityd("image", factors=0.1, prob=0.5)]
    return Compose(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datalist", default="amos_datalist.json")
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=1000)
    ap.add_argument("--patch", type=int, nargs=3, default=[128, 128, 128])
    ap.add_argument("--out", default="runs/amos_plainunet")
    args = ap.parse_args()

    with open(args.datalist) as f:
        dl = json.load(f)
    n_cls = 16
    train_ds = CacheDataset(dl["training"], get_transforms(True, args.patch), cache_rate=1.0, num_workers=8)
    val_ds = CacheDataset(dl["validation"], get_transforms(False, args.patch), cache_rate=1.0, num_workers=4)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=4)
    val_loader = DataLoader(val_ds, batch_size=1, num_workers=2)

    device = torch.device("cuda")
    model = PlainUNet3D(n_cls=n_cls).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.99, nesterov=True, weight_decay=3e-5)
    sched = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=args.epochs, power=0.9)
    dice_metric = DiceMetric(include_background=False, reduction="mean")
    post_pred, post_label = AsDiscrete(argmax=True, to_onehot=n_cls), AsDiscrete(to_onehot=n_cls)

    best = -1.0
    os.makedirs(args.out, exist_ok=True)
    for epoch in range(args.epochs):
        model.train()
        for batch in train_loader:
            x, y = batch["image"].to(device), batch["label"].to(device)
            loss = ds_loss(model(x), y, n_cls)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 12)
            opt.step()
        sched.step()

        if (epoch + 1) % 25 == 0:
            model.eval()
            with torch.no_grad():
                for batch in val_loader:
                    x, y = batch["image"].to(device), batch["label"].to(device)
                    logits = sliding_window_inference(x, args.patch, 4, model, overlap=0.5, mode="gaussian")
                    dice_metric(y_pred=[post_pred(i) for i in decollate_batch(logits)],
                                y=[post_label(i) for i in decollate_batch(y)])
            score = dice_metric.aggregate().item()
            dice_metric.reset()
            print(f"epoch {epoch + 1}: mean dice {score:.4f}")
            if score > best:
                best = score
                torch.save(model.state_dict(), os.path.join(args.out, "best.pt"))


if __name__ == "__main__":
    main()
