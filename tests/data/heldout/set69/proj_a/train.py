"""Iteration-based training for the registered segmentors.

    python train.py --config pspnet_r18_cityscapes train.lr=0.02 train.max_iters=40000
"""
import argparse
import glob
import json
import logging
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from configs import apply_overrides, get_config
from models import build_model, count_parameters

logger = logging.getLogger("train")


class SegFolder(Dataset):
    """`<root>/images/<split>/*.png` with masks in `<root>/labels/<split>/*.png`."""

    def __init__(self, data_cfg, split, train):
        self.images = sorted(glob.glob(os.path.join(data_cfg.root, "images", split, "*.png")))
        self.labels = [p.replace(os.sep + "images" + os.sep, os.sep + "labels" + os.sep) for p in self.images]
        self.cfg = data_cfg
        self.train = train

    def __len__(self):
        return len(self.images)

    def _augment(self, img, lbl):
        ch, cw = self.cfg.crop_size
        s = random.uniform(*self.cfg.scale_range)
        w, h = img.size
        img = img.resize((int(w * s), int(h * s)), Image.BILINEAR)
        lbl = lbl.resize((int(w * s), int(h * s)), Image.NEAREST)
        img = np.asarray(img, dtype=np.float32)
        lbl = np.asarray(lbl, dtype=np.int64)
        ph, pw = max(ch - img.shape[0], 0), max(cw - img.shape[1], 0)
        if ph or pw:
            img = np.pad(img, ((0, ph), (0, pw), (0, 0)))
            lbl = np.pad(lbl, ((0, ph), (0, pw)), constant_values=self.cfg.ignore_index)
        y = random.randint(0, img.shape[0] - ch)
        x = random.randint(0, img.shape[1] - cw)
        img, lbl = img[y:y + ch, x:x + cw], lbl[y:y + ch, x:x + cw]
        if random.random() < 0.5:
            img, lbl = img[:, ::-1], lbl[:, ::-1]
        return img, lbl

    def __getitem__(self, i):
        img = Image.open(self.images[i]).convert("RGB")
        lbl = Image.open(self.labels[i])
        if self.train:
            img, lbl = self._augment(img, lbl)
        else:
            img, lbl = np.asarray(img, dtype=np.float32), np.asarray(lbl, dtype=np.int64)
        img = (img / 255.0 - np.array(self.cfg.mean)) / np.array(self.cfg.std)
        return torch.from_numpy(img.transpose(2, 0, 1).copy()).float(), torch.from_numpy(lbl.copy())


def intersect_union(pred, target, num_classes, ignore_index):
    valid = target != ignore_index
    pred, target = pred[valid], target[valid]
    inter = pred[pred == target]
    area_inter = torch.bincount(inter, minlength=num_classes)
    area_pred = torch.bincount(pred, minlength=num_classes)
    area_tgt = torch.bincount(target, minlength=num_classes)
    return area_inter, area_pred + area_tgt - area_inter


def validate(model, loader, cfg, device):
    model.eval()
    n = cfg.model.num_classes
    inter = torch.zeros(n, dtype=torch.long, device=device)
    union = torch.zeros(n, dtype=torch.long, device=device)
    with torch.no_grad():
        for img, lbl in loader:
            img, lbl = img.to(device), lbl.to(device)
            pred = model(img).argmax(1)
            i, u = intersect_union(pred, lbl, n, cfg.data.ignore_index)
            inter += i
            union += u
    model.train()
    iou = inter.float() / union.clamp(min=1).float()
    return iou.mean().item(), iou.tolist()


def poly_lr(base_lr, it, max_iters, power):
    return base_lr * (1 - it / max_iters) ** power


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="pspnet_r18_cityscapes")
    ap.add_argument("--resume", default="")
    ap.add_argument("--pretrained", default="")
    ap.add_argument("overrides", nargs="*")
    return ap.parse_args()


def main():
    args = parse_args()
    cfg = apply_overrides(get_config(args.config), args.overrides)
    work_dir = os.path.join(cfg.work_dir, cfg.name)
    os.makedirs(work_dir, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        handlers=[logging.StreamHandler(), logging.FileHandler(os.path.join(work_dir, "train.log"))])
    with open(os.path.join(work_dir, "config.json"), "w") as fh:
        json.dump(cfg.to_dict(), fh, indent=2)
    device = torch.device("cuda")

    tcfg = cfg.train
    train_set = SegFolder(cfg.data, cfg.data.train_split, train=True)
    val_set = SegFolder(cfg.data, cfg.data.val_split, train=False)
    train_loader = DataLoader(train_set, batch_size=tcfg.batch_size, shuffle=True, num_workers=tcfg.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=tcfg.val_batch_size, shuffle=False, num_workers=tcfg.workers)

    model = build_model(cfg.model).to(device)
    if args.pretrained:
        missing, _ = model.backbone.load_pretrained(args.pretrained)
        logger.info("loaded backbone weights, %d missing keys", len(missing))
    logger.info("%s: %.2fM trainable parameters", cfg.model.name, count_parameters(model) / 1e6)

    backbone_params = list(model.backbone.parameters())
    backbone_ids = {id(p) for p in backbone_params}
    head_params = [p for p in model.parameters() if id(p) not in backbone_ids]
    optimizer = torch.optim.SGD([{"params": backbone_params, "lr_mult": 1.0},
                                 {"params": head_params, "lr_mult": 10.0}],
                                lr=tcfg.lr, momentum=tcfg.momentum, weight_decay=tcfg.weight_decay)
    scaler = torch.cuda.amp.GradScaler(enabled=tcfg.amp)

    start_iter, best_miou = 0, 0.0
    if args.resume:
        ckpt = torch.load(args.resume, map_location="cpu")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start_iter, best_miou = ckpt["iter"], ckpt["best_miou"]

    model.train  # expect: BN102
    data_iter = iter(train_loader)
    t0 = time.time()
    for it in range(start_iter, tcfg.max_iters):
        try:
            img, lbl = next(data_iter)
        except StopIteration:
            data_iter = iter(train_loader)
            img, lbl = next(data_iter)
        img, lbl = img.to(device, non_blocking=True), lbl.to(device, non_blocking=True)
        lr = poly_lr(tcfg.lr, it, tcfg.max_iters, tcfg.poly_power)
        for group in optimizer.param_groups:
            group["lr"] = lr * group["lr_mult"]

        with torch.autocast("cuda", enabled=tcfg.amp):
            out = model(img)
            if isinstance(out, tuple):
                main_out, aux_out = out
                loss = F.cross_entropy(main_out, lbl, ignore_index=cfg.data.ignore_index)
                loss = loss + tcfg.aux_weight * F.cross_entropy(aux_out, lbl, ignore_index=cfg.data.ignore_index)
            else:
                loss = F.cross_entropy(out, lbl, ignore_index=cfg.data.ignore_index)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

        if (it + 1) % tcfg.log_interval == 0:
            speed = tcfg.log_interval / (time.time() - t0)
            logger.info("iter %d/%d loss %.4f lr %.5f %.2f it/s", it + 1, tcfg.max_iters, loss.item(), lr, speed)
            t0 = time.time()
        if (it + 1) % tcfg.eval_interval == 0 or it + 1 == tcfg.max_iters:
            miou, per_class = validate(model, val_loader, cfg, device)
            logger.info("iter %d mIoU %.4f", it + 1, miou)
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iter": it + 1,
                     "best_miou": max(best_miou, miou), "config": cfg.to_dict()}
            torch.save(state, os.path.join(work_dir, "latest.pth"))
            if miou > best_miou:
                best_miou = miou
                torch.save(state, os.path.join(work_dir, "best.pth"))
                with open(os.path.join(work_dir, "best_per_class.json"), "w") as fh:
                    json.dump({"iter": it + 1, "miou": miou, "per_class": per_class}, fh, indent=2)
    logger.info("done, best mIoU %.4f", best_miou)


if __name__ == "__main__":
    main()
