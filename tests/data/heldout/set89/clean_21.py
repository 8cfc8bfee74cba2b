# YOLO-lite training entry point (train.py), multi-GPU via torchrun
"""
Train a YOLO-lite model on a custom dataset.

Usage - Single-GPU training:
    $ python train.py --data coco128.yaml --weights yolo-lite-s.pt --img 640

Usage - Multi-GPU DDP training:
    $ torchrun --nproc_per_node 4 train.py --data coco.yaml --weights yolo-lite-s.pt --sync-bn
"""
import argparse
import math
import os
import time
from copy import deepcopy

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

from models.yolo import DetectionModel
from utils.dataloaders import create_dataloader
from utils.loss import ComputeLoss
from utils.torch_utils import ModelEMA, smart_optimizer
import val as validate  # for end-of-epoch mAP

LOCAL_RANK = int(os.getenv("LOCAL_RANK", -1))  # https://pytorch.org/docs/stable/elastic/run.html
RANK = int(os.getenv("RANK", -1))
WORLD_SIZE = int(os.getenv("WORLD_SIZE", 1))


def train(opt, device):
    epochs, batch_size, nbs = opt.epochs, opt.batch_size, 64
    model = DetectionModel(nc=opt.nc).to(device)

    # Optimizer
    accumulate = max(round(nbs / batch_size), 1)  # accumulate loss before optimizing
    optimizer = smart_optimizer(model, "SGD", opt.lr0, 0.937, 5e-4 * batch_size * accumulate / nbs)
    lf = lambda x: (1 - x / epochs) * (1.0 - 0.01) + 0.01  # linear
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lf)

    # EMA
    ema = ModelEMA(model) if RANK in {-1, 0} else None

    # SyncBatchNorm
    if opt.sync_bn and device.type != "cpu" and RANK != -1:
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model).to(device)
        print("Using SyncBatchNorm()")

    # Trainloader
    train_loader, dataset = create_dataloader(opt.train_path, opt.imgsz, batch_size // WORLD_SIZE, 32,
                                              augment=True, rank=LOCAL_RANK, workers=opt.workers, shuffle=True)
    val_loader = create_dataloader(opt.val_path, opt.imgsz, batch_size // WORLD_SIZE * 2, 32,
                                   rank=-1, workers=opt.workers * 2, pad=0.5)[0] if RANK in {-1, 0} else None

    # DDP mode
    if RANK != -1:
        model = DDP(model, device_ids=[LOCAL_RANK], output_device=LOCAL_RANK)

    compute_loss = ComputeLoss(model)
    nb = len(train_loader)
    nw = max(round(3 * nb), 100)  # warmup iterations
    best_fitness = 0.0
    for epoch in range(epochs):
        model.train()
        if RANK != -1:
            train_loader.sampler.set_epoch(epoch)
        optimizer.zero_grad()
        t0 = time.time()
        for i, (imgs, targets, paths, _) in enumerate(train_loader):
            ni = i + nb * epoch
            imgs = imgs.to(device, non_blocking=True).float() / 255
            if ni <= nw:
                accumulate = max(1, round(float(nbs / batch_size) * ni / nw))
            pred = model(imgs)
            loss, loss_items = compute_loss(pred, targets.to(device))
            if RANK != -1:
                loss *= WORLD_SIZE
            loss.backward()
            if (ni + 1) % accumulate == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
                optimizer.step()
                optimizer.zero_grad()
                if ema:
                    ema.update(model)
        scheduler.step()

        if RANK in {-1, 0}:
            # mAP on the EMA weights (ModelEMA keeps its copy in eval mode)
            results, maps, _ = validate.run(data=opt.data, batch_size=batch_size // WORLD_SIZE * 2,
                                            imgsz=opt.imgsz, model=ema.ema, dataloader=val_loader,
                                            compute_loss=compute_loss)
            fitness = 0.1 * results[2] + 0.9 * results[3]
            if fitness > best_fitness:
                best_fitness = fitness
            ckpt = {"epoch": epoch, "best_fitness": best_fitness, "ema": deepcopy(ema.ema).half(),
                    "updates": ema.updates, "optimizer": optimizer.state_dict()}
            torch.save(ckpt, os.path.join(opt.save_dir, "last.pt"))
            print(f"epoch {epoch}: {time.time() - t0:.1f}s, mAP@.5 {results[2]:.4f}")

    if WORLD_SIZE > 1 and RANK == 0:
        print("Destroying process group... ")
        dist.destroy_process_group()


def parse_opt():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=str, default="data/coco128.yaml", help="dataset.yaml path")
    parser.add_argument("--train-path", type=str, default="../datasets/coco128/images/train2017")
    parser.add_argument("--val-path", type=str, default="../datasets/coco128/images/train2017")
    parser.add_argument("--nc", type=int, default=80)
    parser.add_argument("--epochs", type=int, default=100, help="total training epochs")
    parser.add_argument("--batch-size", type=int, default=64, help="total batch size for all GPUs")
    parser.add_argument("--imgsz", "--img", "--img-size", type=int, default=640, help="train, val image size (pixels)")
    parser.add_argument("--lr0", type=float, default=0.01)
    parser.add_argument("--sync-bn", action="store_true", help="use SyncBatchNorm, only available in DDP mode")
    parser.add_argument("--workers", type=int, default=8, help="max dataloader workers (per RANK in DDP mode)")
    parser.add_argument("--save-dir", default="runs/train/exp")
    return parser.parse_args()


def main(opt):
    if LOCAL_RANK != -1:
        assert opt.batch_size % WORLD_SIZE == 0, f"--batch-size {opt.batch_size} must be multiple of WORLD_SIZE"
        torch.cuda.set_device(LOCAL_RANK)
        device = torch.device("cuda", LOCAL_RANK)
        dist.init_process_group(backend="nccl" if dist.is_nccl_available() else "gloo")
    else:
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    os.makedirs(opt.save_dir, exist_ok=True)
    train(opt, device)


if __name__ == "__main__":
    main(parse_opt())
