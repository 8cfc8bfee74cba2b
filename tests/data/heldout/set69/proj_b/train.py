"""SimSiam pre-training (DDP).

    torchrun --nproc_per_node=4 train.py --config simsiam_r18_cifar10 pretrain.epochs=400
"""
import argparse
import json
import logging
import math
import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
import torchvision
import torchvision.transforms as T

from configs import load_config
from models import build_model

logger = logging.getLogger("simsiam")

DATASETS = {
    "cifar10": torchvision.datasets.CIFAR10,
    "cifar100": torchvision.datasets.CIFAR100,
}


class TwoCrops:
    def __init__(self, transform):
        self.transform = transform

    def __call__(self, x):
        return [self.transform(x), self.transform(x)]


def ssl_transform(dcfg):
    size = dcfg["image_size"]
    blur = [T.RandomApply([T.GaussianBlur(23, (0.1, 2.0))], p=0.5)] if size > 64 else []
    return T.Compose([
        T.RandomResizedCrop(size, scale=(0.2, 1.0)),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        *blur,
        T.RandomHorizontalFlip(),
        T.ToTensor(),
        T.Normalize(dcfg["mean"], dcfg["std"]),
    ])


def plain_transform(dcfg):
    size = dcfg["image_size"]
    resize = [T.Resize(int(size * 256 / 224)), T.CenterCrop(size)] if size > 64 else []
    return T.Compose([*resize, T.ToTensor(), T.Normalize(dcfg["mean"], dcfg["std"])])


def make_dataset(dcfg, train, transform):
    if dcfg["name"] in DATASETS:
        return DATASETS[dcfg["name"]](dcfg["root"], train=train, download=True, transform=transform)
    split = "train" if train else "val"
    return torchvision.datasets.ImageFolder(os.path.join(dcfg["root"], split), transform)


def knn_top1(backbone, memory_loader, test_loader, k, t, num_classes, device):
    backbone.eval()
    feats, labels = [], []
    with torch.no_grad():
        for x, y in memory_loader:
            feats.append(F.normalize(backbone(x.to(device)), dim=1))
            labels.append(y.to(device))
        bank, bank_y = torch.cat(feats), torch.cat(labels)
        hits = total = 0
        for x, y in test_loader:
            q = F.normalize(backbone(x.to(device)), dim=1)
            sim, idx = (q @ bank.T).topk(k, dim=1)
            score = torch.zeros(q.size(0), num_classes, device=device)
            score.scatter_add_(1, bank_y[idx], (sim / t).exp())
            hits += (score.argmax(1) == y.to(device)).sum().item()
            total += y.numel()
    backbone.train()
    return 100.0 * hits / total


def adjust_lr(optimizer, init_lr, epoch, epochs):
    lr = init_lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
    for group in optimizer.param_groups:
        group["lr"] = init_lr if group.get("fix_lr") else lr
    return lr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="simsiam_r18_cifar10")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    cfg = load_config(args.config, args.overrides)
    pcfg, dcfg = cfg["pretrain"], cfg["data"]

    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    work_dir = os.path.join(cfg["work_dir"], cfg["name"])
    if rank == 0:
        os.makedirs(work_dir, exist_ok=True)
        with open(os.path.join(work_dir, "config.json"), "w") as fh:
            json.dump(cfg, fh, indent=2)
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING, format="%(asctime)s %(message)s")

    train_set = make_dataset(dcfg, True, TwoCrops(ssl_transform(dcfg)))
    sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
    train_loader = DataLoader(train_set, batch_size=pcfg["batch_size"], sampler=sampler, num_workers=pcfg["workers"], pin_memory=True, drop_last=True)
    memory_loader = DataLoader(make_dataset(dcfg, True, plain_transform(dcfg)), batch_size=512, num_workers=pcfg["workers"])
    test_loader = DataLoader(make_dataset(dcfg, False, plain_transform(dcfg)), batch_size=512, num_workers=pcfg["workers"])

    model = build_model(cfg).to(device)
    model = DistributedDataParallel(model, device_ids=[local_rank])
    if pcfg["sync_bn"]:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    init_lr = pcfg["base_lr"] * pcfg["batch_size"] * world / 256
    core = model.module
    param_groups = [
        {"params": list(core.backbone.parameters()) + list(core.projector.parameters()), "fix_lr": False},
        {"params": core.predictor.parameters(), "fix_lr": pcfg["fix_pred_lr"]},
    ]
    optimizer = torch.optim.SGD(param_groups, lr=init_lr, momentum=pcfg["momentum"], weight_decay=pcfg["weight_decay"])

    best_knn = 0.0
    for epoch in range(pcfg["epochs"]):
        sampler.set_epoch(epoch)
        lr = adjust_lr(optimizer, init_lr, epoch, pcfg["epochs"])
        model.train()
        t0 = time.time()
        loss_sum = torch.zeros((), device=device)
        for (x1, x2), _ in train_loader:
            x1, x2 = x1.to(device, non_blocking=True), x2.to(device, non_blocking=True)
            p1, p2, z1, z2 = model(x1, x2)
            loss = core.loss(p1, p2, z1, z2)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach()
        dist.all_reduce(loss_sum)
        avg_loss = loss_sum.item() / (world * len(train_loader))
        row = {"epoch": epoch, "loss": avg_loss, "lr": lr, "time": time.time() - t0}
        if rank == 0 and (epoch + 1) % pcfg["knn_every"] == 0:
            row["knn"] = knn_top1(core.backbone, memory_loader, test_loader, pcfg["knn_k"], pcfg["knn_t"],
                                  dcfg["num_classes"], device)
            if row["knn"] > best_knn:
                best_knn = row["knn"]
                torch.save({"model": core.state_dict(), "epoch": epoch, "knn": best_knn},
                           os.path.join(work_dir, "best.pth"))
        if rank == 0:
            logger.info(json.dumps(row))
            torch.save({"model": core.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch + 1},
                       os.path.join(work_dir, "last.pth"))
        dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
