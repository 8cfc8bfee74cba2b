"""Linear evaluation of a pre-trained SimSiam backbone (single GPU).

    python linear_eval.py --config simsiam_r18_cifar10 --ckpt work_dirs/simsiam_r18_cifar10/best.pth
"""
import argparse
import json
import logging
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
import torchvision.transforms as T

from configs import load_config
from models import build_model
from train import make_dataset, plain_transform

logger = logging.getLogger("linear")


def probe_transform(dcfg):
    size = dcfg["image_size"]
    crop = T.RandomResizedCrop(size) if size > 64 else T.RandomCrop(size, padding=4)
    return T.Compose([crop, T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(dcfg["mean"], dcfg["std"])])


def accuracy(output, target, topk=(1, 5)):
    maxk = max(topk)
    _, pred = output.topk(maxk, 1, True, True)
    correct = pred.eq(target.view(-1, 1))
    return [correct[:, :k].any(1).float().sum().item() for k in topk]


def evaluate(net, loader, device):
    net.eval()
    top1 = top5 = n = 0
    loss_sum = 0.0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = net(x)
            loss_sum += F.cross_entropy(out, y, reduction="sum").item()
            a1, a5 = accuracy(out, y)
            top1 += a1
            top5 += a5
            n += y.numel()
    return {"loss": loss_sum / n, "top1": 100.0 * top1 / n, "top5": 100.0 * top5 / n}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="simsiam_r18_cifar10")
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    cfg = load_config(args.config, args.overrides)
    lcfg, dcfg = cfg["linear"], cfg["data"]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_set = make_dataset(dcfg, True, probe_transform(dcfg))
    val_set = make_dataset(dcfg, False, plain_transform(dcfg))
    train_loader = DataLoader(train_set, batch_size=lcfg["batch_size"], shuffle=True, num_workers=lcfg["workers"], drop_last=True)
    val_loader = DataLoader(val_set, batch_size=512, shuffle=False, num_workers=lcfg["workers"])

    ssl_model = build_model(cfg)
    state = torch.load(args.ckpt, map_location="cpu")
    ssl_model.load_state_dict(state["model"])
    backbone = ssl_model.backbone
    logger.info("loaded %s (epoch %s)", args.ckpt, state.get("epoch"))

    classifier = nn.Linear(backbone.out_dim, dcfg["num_classes"])
    nn.init.normal_(classifier.weight, mean=0.0, std=0.01)
    nn.init.zeros_(classifier.bias)
    net = nn.Sequential(backbone, classifier).to(device)
    for p in backbone.parameters():
        p.requires_grad = False  # expect: BN105

    trainable = [p for p in net.parameters() if p.requires_grad]
    assert len(trainable) == 2, "only the classifier's weight and bias should be trained"
    optimizer = torch.optim.SGD(trainable, lr=lcfg["lr"], momentum=lcfg["momentum"], weight_decay=lcfg["weight_decay"])

    history, best = [], 0.0
    out_dir = os.path.join(cfg["work_dir"], cfg["name"], "linear")
    os.makedirs(out_dir, exist_ok=True)
    for epoch in range(lcfg["epochs"]):
        lr = lcfg["lr"] * 0.5 * (1 + math.cos(math.pi * epoch / lcfg["epochs"]))
        for g in optimizer.param_groups:
            g["lr"] = lr
        net.train()
        t0 = time.time()
        running = 0.0
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(net(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += loss.item()
        metrics = evaluate(net, val_loader, device)
        metrics.update(epoch=epoch, train_loss=running / len(train_loader), lr=lr, time=time.time() - t0)
        history.append(metrics)
        logger.info("epoch %d: train loss %.4f | val top1 %.2f top5 %.2f", epoch,
                    metrics["train_loss"], metrics["top1"], metrics["top5"])
        if metrics["top1"] > best:
            best = metrics["top1"]
            torch.save(classifier.state_dict(), os.path.join(out_dir, "classifier_best.pth"))

    with open(os.path.join(out_dir, "history.json"), "w") as fh:
        json.dump(history, fh, indent=2)
    logger.info("best linear top1 %.2f", best)


if __name__ == "__main__":
    main()
