"""
MSD Task09 spleen -- iteration-based training with an EMA copy of the weights.

One "epoch" = ITERS_PER_EPOCH optimizer steps of BATCH_SIZE random patches; the
validation helper switches the network to eval mode and back to train mode itself.
"""
import copy
import json
import os
import random

import nibabel as nib
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

ROOT = "/data/Task09_Spleen"
PATCH = (96, 96, 48)
BATCH_SIZE = 8
ITERS_PER_EPOCH = 250
NUM_EPOCHS = 200
EMA_DECAY = 0.999


def load(path):
    img = nib.load(path).get_fdata(dtype=np.float32)
    return np.clip((img + 57) / 221.0, 0, 1) if "imagesTr" in path else img.astype(np.int64)


class SpleenPatchDataset(Dataset):
    def __init__(self, pairs):
        self.cache = [(load(i), load(l)) for i, l in pairs]

    def __len__(self):
        return ITERS_PER_EPOCH * BATCH_SIZE

    def __getitem__(self, _):
        img, lab = random.choice(self.cache)
        if random.random() < 0.66:
            c = np.argwhere(lab > 0)[random.randrange(int((lab > 0).sum()))]
        else:
            c = [random.randrange(s) for s in img.shape]
        st = [int(np.clip(ci - p // 2, 0, max(s - p, 0))) for ci, p, s in zip(c, PATCH, img.shape)]
        sl = tuple(slice(a, a + p) for a, p in zip(st, PATCH))
        x, y = img[sl], lab[sl]
        if random.random() < 0.5:
            x, y = x[::-1], y[::-1]
        return torch.from_numpy(x.copy())[None], torch.from_numpy(y.copy())


def block(cin, cout):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True),
        nn.Conv3d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True),
    )


class SpleenUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.e1, self.e2, self.e3 = block(1, 16), block(16, 32), block(32, 64)
        self.mid = block(64, 128)
        self.u3, self.u2, self.u1 = (nn.ConvTranspose3d(128, 64, 2, 2), nn.ConvTranspose3d(64, 32, 2, 2),
                                     nn.ConvTranspose3d(32, 16, 2, 2))
        self.d3, self.d2, self.d1 = block(128, 64), block(64, 32), block(32, 16)
        self.out = nn.Conv3d(16, 2, 1)

    def forward(self, x):
        e1 = self.e1(x)
        e2 = self.e2(F.max_pool3d(e1, 2))
        e3 = self.e3(F.max_pool3d(e2, 2))
        m = self.mid(F.max_pool3d(e3, 2))
        y = self.d3(torch.cat([self.u3(m), e3], 1))
        y = self.d2(torch.cat([self.u2(y), e2], 1))
        y = self.d1(torch.cat([self.u1(y), e1], 1))
        return self.out(y)


def validate(net, cases, device):
    """Whole-volume Dice; leaves `net` in training mode when it returns."""
    net.eval()
    out = []
    with torch.no_grad():
        for img, lab in cases:
            x = torch.from_numpy(img)[None, None].to(device)
            pads = [v for s in reversed(img.shape) for v in (0, (-s) % 8)]
            logits = net(F.pad(x, pads))[..., :img.shape[0], :img.shape[1], :img.shape[2]]
            pred = logits.argmax(1)[0].cpu().numpy()
            out.append(2 * ((pred == 1) & (lab == 1)).sum() / ((pred == 1).sum() + (lab == 1).sum() + 1e-6))
    net.train()
    return float(np.mean(out))


def main():
    with open(os.path.join(ROOT, "dataset.json")) as f:
        meta = json.load(f)["training"]
    pairs = [(os.path.join(ROOT, m["image"]), os.path.join(ROOT, m["label"])) for m in meta]
    random.Random(0).shuffle(pairs)
    val_cases = [(load(i), load(l)) for i, l in pairs[:8]]
    train_loader = DataLoader(SpleenPatchDataset(pairs[8:]), batch_size=BATCH_SIZE, shuffle=True, num_workers=4)

    device = torch.device("cuda")
    model = SpleenUNet().to(device)
    ema = copy.deepcopy(model)  # updated by hand below, never given to the optimizer
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.99, nesterov=True, weight_decay=3e-5)

    step, best = 0, 0.0
    model.train()
    it = iter(train_loader)
    for epoch in range(NUM_EPOCHS):
        for _ in range(ITERS_PER_EPOCH):
            try:
                x, y = next(it)
            except StopIteration:
                it = iter(train_loader)
                x, y = next(it)
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            for g in opt.param_groups:
                g["lr"] = 0.01 * (1 - step / (NUM_EPOCHS * ITERS_PER_EPOCH)) ** 0.9
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.mul_(EMA_DECAY).add_(pm.detach(), alpha=1 - EMA_DECAY)
                for be, bm in zip(ema.buffers(), model.buffers()):
                    be.copy_(bm)

        if (epoch + 1) % 10 == 0:
            d_model = validate(model, val_cases, device)
            d_ema = validate(ema, val_cases, device)
            print(f"epoch {epoch + 1}: loss {loss.item():.4f} dice {d_model:.4f} ema dice {d_ema:.4f}")
            if d_ema > best:
                best = d_ema
                torch.save(ema.state_dict(), "spleen_ema_best.pt")


if __name__ == "__main__":
    main()
