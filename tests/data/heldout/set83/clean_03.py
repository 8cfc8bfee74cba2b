"""Semi-supervised left atrium segmentation with a mean teacher (16 labelled + 64 unlabelled scans).

Each mini-batch mixes labelled and unlabelled 96x96x64 crops; the student gets a supervised
loss on the labelled part and a consistency loss against the EMA teacher on everything.
"""
import copy
import math
import os
import random

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

ROOT = "../data/2018LA_Seg_Training Set"
PATCH = (96, 96, 64)
args = {
    "labeled_list": "../data/la_labeled16.list",
    "unlabeled_list": "../data/la_unlabeled64.list",
    "test_list": "../data/test.list",
    "batch_size": 8,
    "max_iterations": 6000,
    "lr": 0.01,
    "ema_decay": 0.99,
    "consistency": 0.1,
    "consistency_rampup": 40.0,
    "save": "../model/LA_MT_16labeled",
}


def read_list(p):
    with open(p) as f:
        return [l.strip() for l in f if l.strip()]


class LAMixed(Dataset):
    def __init__(self, labeled, unlabeled):
        self.items = [(c, True) for c in labeled] + [(c, False) for c in unlabeled]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        case, has_label = self.items[i]
        with h5py.File(os.path.join(ROOT, case, "mri_norm2.h5"), "r") as h5:
            img, lab = h5["image"][:], h5["label"][:]
        sx, sy, sz = [random.randint(0, s - p) for s, p in zip(img.shape, PATCH)]
        img = img[sx:sx + PATCH[0], sy:sy + PATCH[1], sz:sz + PATCH[2]]
        lab = lab[sx:sx + PATCH[0], sy:sy + PATCH[1], sz:sz + PATCH[2]]
        return (torch.from_numpy(img.astype(np.float32))[None], torch.from_numpy(lab.astype(np.int64)),
                torch.tensor(has_label))


def conv_bn_relu(cin, cout):
    return nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True))


class SmallVNet(nn.Module):
    def __init__(self, nf=16, n_classes=2):
        super().__init__()
        self.b1 = nn.Sequential(conv_bn_relu(1, nf))
        self.b2 = nn.Sequential(conv_bn_relu(nf, 2 * nf), conv_bn_relu(2 * nf, 2 * nf))
        self.b3 = nn.Sequential(conv_bn_relu(2 * nf, 4 * nf), conv_bn_relu(4 * nf, 4 * nf))
        self.b4 = nn.Sequential(conv_bn_relu(4 * nf, 8 * nf), conv_bn_relu(8 * nf, 8 * nf))
        self.u3 = nn.Sequential(conv_bn_relu(8 * nf + 4 * nf, 4 * nf), conv_bn_relu(4 * nf, 4 * nf))
        self.u2 = nn.Sequential(conv_bn_relu(4 * nf + 2 * nf, 2 * nf))
        self.u1 = nn.Sequential(conv_bn_relu(2 * nf + nf, nf))
        self.out = nn.Conv3d(nf, n_classes, 1)
        self.drop = nn.Dropout3d(0.3)

    def forward(self, x):
        x1 = self.b1(x)
        x2 = self.b2(F.max_pool3d(x1, 2))
        x3 = self.b3(F.max_pool3d(x2, 2))
        x4 = self.drop(self.b4(F.max_pool3d(x3, 2)))
        y = self.u3(torch.cat([F.interpolate(x4, scale_factor=2, mode="trilinear"), x3], 1))
        y = self.u2(torch.cat([F.interpolate(y, scale_factor=2, mode="trilinear"), x2], 1))
        y = self.u1(torch.cat([F.interpolate(y, scale_factor=2, mode="trilinear"), x1], 1))
        return self.out(self.drop(y))


def sigmoid_rampup(current, length):
    if length == 0:
        return 1.0
    phase = 1.0 - np.clip(current, 0.0, length) / length
    return float(np.exp(-5.0 * phase * phase))


@torch.no_grad()
def update_ema(student, teacher, alpha, step):
    alpha = min(1 - 1 / (step + 1), alpha)
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(alpha).add_(s, alpha=1 - alpha)
    for tb, sb in zip(teacher.buffers(), student.buffers()):
        tb.copy_(sb)


@torch.no_grad()
def test_dice(net, cases, device):
    net.eval()
    scores = []
    for c in cases:
        with h5py.File(os.path.join(ROOT, c, "mri_norm2.h5"), "r") as h5:
            img, lab = h5["image"][:], h5["label"][:]
        x = torch.from_numpy(img.astype(np.float32))[None, None].to(device)
        pad = [v for s in x.shape[:1:-1] for v in (0, (-s) % 8)]
        pred = net(F.pad(x, pad)).argmax(1)[0, :img.shape[0], :img.shape[1], :img.shape[2]].cpu().numpy()
        scores.append(2 * np.logical_and(pred, lab).sum() / (pred.sum() + lab.sum() + 1e-6))
    return float(np.mean(scores))


def main():
    device = torch.device("cuda")
    os.makedirs(args["save"], exist_ok=True)
    ds = LAMixed(read_list(args["labeled_list"]), read_list(args["unlabeled_list"]))
    loader = DataLoader(ds, batch_size=args["batch_size"], shuffle=True, num_workers=4, drop_last=True)

    student = SmallVNet().to(device)
    teacher = copy.deepcopy(student)
    for p in teacher.parameters():
        p.detach_()
    optimizer = torch.optim.SGD(student.parameters(), lr=args["lr"], momentum=0.9, weight_decay=1e-4)

    it = 0
    student.train()
    teacher.train()
    n_epochs = math.ceil(args["max_iterations"] / len(loader))
    for _ in range(n_epochs):
        for img, lab, has_label in loader:
            img, lab, has_label = img.to(device), lab.to(device), has_label.to(device)
            noise = torch.clamp(torch.randn_like(img) * 0.1, -0.2, 0.2)
            out = student(img)
            with torch.no_grad():
                t_out = teacher(img + noise)
            sup = F.cross_entropy(out[has_label], lab[has_label]) if has_label.any() else out.sum() * 0
            cons_w = args["consistency"] * sigmoid_rampup(it // 150, args["consistency_rampup"])
            cons = F.mse_loss(out.softmax(1), t_out.softmax(1))
            loss = sup + cons_w * cons
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            update_ema(student, teacher, args["ema_decay"], it)
            it += 1
            lr = args["lr"] * (1.0 - it / args["max_iterations"]) ** 0.9
            for g in optimizer.param_groups:
                g["lr"] = lr
            if it % 200 == 0:
                print(f"iter {it}: sup {sup.item():.4f} cons {cons.item():.5f} w {cons_w:.3f}")
            if it >= args["max_iterations"]:
                break

    torch.save({"student": student.state_dict(), "teacher": teacher.state_dict()},
               os.path.join(args["save"], "final.pth"))
    test_cases = read_list(args["test_list"])
    print("student dice", test_dice(student, test_cases, device))
    print("teacher dice", test_dice(teacher, test_cases, device))


if __name__ == "__main__":
    main()
