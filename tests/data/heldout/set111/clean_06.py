"""Cassava -- semi-supervised "mean teacher" on the 2019 extra images + EMA + SWA.

student: trained with CE on labelled data + consistency (MSE) to the EMA teacher
teacher: exponential moving average of the student weights (never back-propagated)
final  : SWA of the last epochs, BN statistics recomputed with update_bn
"""
import copy
import os
from itertools import cycle

import numpy as np
import pandas as pd
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms as T


class CFG:
    arch = "resnext50_32x4d"
    img = 384
    bs_labeled = 24
    bs_unlabeled = 48
    epochs = 12
    swa_start = 8
    lr = 3e-4
    swa_lr = 5e-5
    ema_decay = 0.999
    cons_weight = 10.0
    fold = 0
    root = "../input/cassava-leaf-disease-merged"
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class ModelEMA:
    """timm-style ModelEmaV2: keeps a decayed copy of the weights (incl. BN buffers)."""

    def __init__(self, model, decay=0.999):
        self.module = copy.deepcopy(model)
        self.module.eval()
        self.decay = decay
        for p in self.module.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        for ema_v, model_v in zip(self.module.state_dict().values(), model.state_dict().values()):
            if ema_v.dtype.is_floating_point:
                ema_v.mul_(self.decay).add_(model_v.detach(), alpha=1 - self.decay)
            else:
                ema_v.copy_(model_v)


class LeafDS(Dataset):
    def __init__(self, df, tfm, labeled=True):
        self.paths = df.path.values
        self.labels = df.label.values if labeled else None
        self.tfm = tfm

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        img = self.tfm(Image.open(self.paths[i]).convert("RGB"))
        return (img, int(self.labels[i])) if self.labels is not None else img


strong = T.Compose([T.RandomResizedCrop(CFG.img), T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.ColorJitter(0.3, 0.3, 0.3), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
weak = T.Compose([T.Resize((CFG.img, CFG.img)), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
plain = T.Compose([T.Resize((CFG.img, CFG.img)), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])


def get_model(cfg, pretrained=True):
    return timm.create_model(cfg.arch, pretrained=pretrained, num_classes=5)


@torch.no_grad()
def validate(model, loader):
    model.eval()
    correct = total = 0
    for x, y in loader:
        pred = model(x.to(CFG.device)).argmax(1).cpu()
        correct += (pred == y).sum().item()
        total += len(y)
    return correct / total


def main():
    df = pd.read_csv(os.path.join(CFG.root, "folds.csv"))
    unl = pd.read_csv(os.path.join(CFG.root, "extraimages.csv"))
    lab_dl = DataLoader(LeafDS(df[df.fold != CFG.fold], strong), batch_size=CFG.bs_labeled, shuffle=True, num_workers=4, drop_last=True)
    unl_dl = DataLoader(LeafDS(unl, weak, labeled=False), batch_size=CFG.bs_unlabeled, shuffle=True, num_workers=4, drop_last=True)
    val_dl = DataLoader(LeafDS(df[df.fold == CFG.fold], plain), batch_size=64, shuffle=False, num_workers=4)

    model = get_model(CFG).to(CFG.device)
    ema = ModelEMA(model, CFG.ema_decay)
    swa_model = AveragedModel(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=CFG.lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=CFG.swa_start)
    swa_scheduler = SWALR(optimizer, swa_lr=CFG.swa_lr)

    for epoch in range(CFG.epochs):
        model.train()
        for (x, y), xu in zip(lab_dl, cycle(unl_dl)):
            x, y, xu = x.to(CFG.device), y.to(CFG.device), xu.to(CFG.device)
            with torch.no_grad():
                teacher_prob = F.softmax(ema.module(xu), dim=1)
            student_logits = model(torch.cat([x, xu]))
            sup = F.cross_entropy(student_logits[: len(x)], y, label_smoothing=0.1)
            cons = F.mse_loss(F.softmax(student_logits[len(x):], dim=1), teacher_prob)
            loss = sup + CFG.cons_weight * cons
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            ema.update(model)

        if epoch >= CFG.swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()

        acc_student = validate(model, val_dl)
        acc_teacher = validate(ema.module, val_dl)
        print(f"epoch {epoch}: student {acc_student:.4f} teacher {acc_teacher:.4f}")
        torch.save(ema.module.state_dict(), f"teacher_fold{CFG.fold}.pth")

    # recompute BN running stats for the averaged weights, then evaluate it
    update_bn(lab_dl, swa_model, device=CFG.device)
    swa_model.eval()
    print("SWA acc:", validate(swa_model, val_dl))
    torch.save(swa_model.module.state_dict(), f"swa_fold{CFG.fold}.pth")


if __name__ == "__main__":
    main()
