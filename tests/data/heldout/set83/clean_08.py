# ACDC cardiac cine-MRI segmentation (RV / MYO / LV) with a transformer bottleneck
# and an auxiliary "slice contains LV" head used as a cheap slice-level sanity check.
import os
import random

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

DATA = "/data/ACDC/slices_h5"
SAMPLES_PER_EPOCH = 3201
BATCH = 32
EPOCHS = 200
EMBED = 256
N_CLASSES = 4


class ACDCRandomSlices(Dataset):
    def __init__(self, folder):
        self.files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".h5"))

    def __len__(self):
        return SAMPLES_PER_EPOCH

    def __getitem__(self, _):
        with h5py.File(random.choice(self.files), "r") as h5:
            img, lab = h5["image"][:], h5["label"][:]
        if random.random() < 0.5:
            k = random.randint(0, 3)
            img, lab = np.rot90(img, k), np.rot90(lab, k)
        img = (img - img.mean()) / (img.std() + 1e-6)
        lab = lab.astype(np.int64)
        return (torch.from_numpy(img.astype(np.float32).copy())[None], torch.from_numpy(lab.copy()),
                torch.tensor(float((lab == 3).any())))


class ConvBlock(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.GELU(),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.GELU(),
        )


class TokenMixer(nn.Module):
    """Transformer over the 16x16 bottleneck grid; BN over the embedding channel."""

    def __init__(self, dim=EMBED, depth=4, heads=8):
        super().__init__()
        layer = nn.TransformerEncoderLayer(dim, heads, dim * 4, dropout=0.0, batch_first=True)
        self.blocks = nn.TransformerEncoder(layer, depth)
        self.token_bn = nn.BatchNorm1d(dim)
        self.mlp_in = nn.Linear(dim, dim, bias=False)
        self.mlp_bn = nn.BatchNorm1d(dim)

    def forward(self, x):
        n, c, h, w = x.shape
        t = x.flatten(2).transpose(1, 2)                    # (N, L, C)
        t = self.blocks(t)
        t = self.token_bn(t.transpose(1, 2)).transpose(1, 2)  # BN over C
        z = self.mlp_in(t).reshape(n * h * w, c)            # (N*L, C)
        t = t + F.gelu(self.mlp_bn(z)).view(n, h * w, c)
        return t.transpose(1, 2).reshape(n, c, h, w)


class CardiacNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.e1, self.e2, self.e3, self.e4 = ConvBlock(1, 32), ConvBlock(32, 64), ConvBlock(64, 128), ConvBlock(128, EMBED)
        self.mixer = TokenMixer()
        self.d3, self.d2, self.d1 = ConvBlock(EMBED + 128, 128), ConvBlock(128 + 64, 64), ConvBlock(64 + 32, 32)
        self.seg = nn.Conv2d(32, N_CLASSES, 1)
        self.aux = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(EMBED, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Linear(64, 1),
        )

    def forward(self, x):
        e1 = self.e1(x)
        e2 = self.e2(F.max_pool2d(e1, 2))
        e3 = self.e3(F.max_pool2d(e2, 2))
        b = self.mixer(self.e4(F.max_pool2d(e3, 2)))
        up = lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)
        y = self.d3(torch.cat([up(b), e3], 1))
        y = self.d2(torch.cat([up(y), e2], 1))
        y = self.d1(torch.cat([up(y), e1], 1))
        return self.seg(y), self.aux(b).squeeze(1)


def main():
    torch.backends.cudnn.benchmark = True
    dev = "cuda"
    train_set = ACDCRandomSlices(os.path.join(DATA, "train"))
    # SAMPLES_PER_EPOCH % BATCH == 1 -> drop the singleton batch
    train_loader = DataLoader(train_set, batch_size=BATCH, shuffle=True, num_workers=8, drop_last=True,
                              pin_memory=True)
    net = CardiacNet().to(dev)
    opt = torch.optim.AdamW(net.parameters(), lr=5e-4, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=5e-4, total_steps=EPOCHS * len(train_loader))
    class_w = torch.tensor([0.1, 1.0, 1.0, 1.0], device=dev)

    for epoch in range(EPOCHS):
        net.train()
        seg_l, aux_l = 0.0, 0.0
        for img, lab, has_lv in train_loader:
            img, lab, has_lv = img.to(dev), lab.to(dev), has_lv.to(dev)
            seg, aux = net(img)
            l_seg = F.cross_entropy(seg, lab, weight=class_w)
            l_aux = F.binary_cross_entropy_with_logits(aux, has_lv)
            loss = l_seg + 0.1 * l_aux
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            seg_l += l_seg.item()
            aux_l += l_aux.item()
        n = len(train_loader)
        print(f"epoch {epoch:3d}  seg {seg_l / n:.4f}  aux {aux_l / n:.4f}")
        if (epoch + 1) % 20 == 0:
            torch.save(net.state_dict(), f"acdc_tfnet_{epoch + 1:03d}.pt")


if __name__ == "__main__":
    main()
