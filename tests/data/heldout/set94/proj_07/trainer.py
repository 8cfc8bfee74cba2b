"""Distributed trainer: AMP, warmup + cosine schedule, checkpoint/resume."""
import math
import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

from config import scaled_lr


class AverageMeter:
    def __init__(self):
        self.sum = 0.0
        self.count = 0

    def update(self, value, n=1):
        self.sum += value * n
        self.count += n

    @property
    def avg(self):
        return self.sum / max(self.count, 1)


class DDPTrainer:
    def __init__(self, model, loaders, cfg, local_rank, world_size):
        self.cfg = cfg
        self.rank = dist.get_rank()
        self.world_size = world_size
        self.device = torch.device("cuda", local_rank)
        model = model.to(self.device)
        if cfg["channels_last"]:
            model = model.to(memory_format=torch.channels_last)
        self.model = DDP(model, device_ids=[local_rank], output_device=local_rank)
        # synchronise BN statistics across the GPUs
        self.model = nn.SyncBatchNorm.convert_sync_batchnorm(self.model)  # expect: BN303
        self.loaders = loaders
        self.criterion = nn.CrossEntropyLoss(label_smoothing=cfg["label_smoothing"]).to(self.device)
        decay, no_decay = [], []
        for name, p in self.model.named_parameters():
            (no_decay if p.ndim <= 1 or name.endswith(".bias") else decay).append(p)
        self.optimizer = torch.optim.SGD(
            [{"params": decay, "weight_decay": cfg["weight_decay"]},
             {"params": no_decay, "weight_decay": 0.0}],
            lr=scaled_lr(cfg, world_size), momentum=cfg["momentum"], nesterov=True)
        self.steps_per_epoch = len(loaders["train"])
        total = cfg["epochs"] * self.steps_per_epoch
        warmup = cfg["warmup_epochs"] * self.steps_per_epoch
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda s: (s + 1) / warmup if s < warmup
            else 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, total - warmup))))
        self.scaler = torch.cuda.amp.GradScaler(enabled=cfg["amp"])
        self.start_epoch = 0
        self.best_top1 = 0.0
        if cfg["resume"]:
            self.resume(cfg["resume"])

    def is_main(self):
        return self.rank == 0

    def resume(self, path):
        state = torch.load(path, map_location=self.device)
        self.model.module.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.start_epoch = state["epoch"] + 1
        self.best_top1 = state["best_top1"]

    def save(self, epoch, is_best):
        if not self.is_main():
            return
        os.makedirs(self.cfg["ckpt_dir"], exist_ok=True)
        state = {
            "epoch": epoch,
            "model": self.model.module.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "best_top1": self.best_top1,
        }
        torch.save(state, os.path.join(self.cfg["ckpt_dir"], "last.pth"))
        if is_best:
            torch.save(state, os.path.join(self.cfg["ckpt_dir"], "best.pth"))

    def train_epoch(self, epoch):
        self.model.train()
        self.loaders["train"].sampler.set_epoch(epoch)
        meter = AverageMeter()
        tic = time.time()
        for i, (images, target) in enumerate(self.loaders["train"]):
            images = images.to(self.device, non_blocking=True)
            target = target.to(self.device, non_blocking=True)
            if self.cfg["channels_last"]:
                images = images.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cuda", dtype=torch.float16, enabled=self.cfg["amp"]):
                loss = self.criterion(self.model(images), target)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            meter.update(loss.item(), images.size(0))
            if self.is_main() and i % self.cfg["print_freq"] == 0:
                print(f"[{epoch}][{i}/{self.steps_per_epoch}] loss {meter.avg:.4f} "
                      f"lr {self.scheduler.get_last_lr()[0]:.4f} {time.time() - tic:.1f}s")
        return meter.avg

    @torch.no_grad()
    def validate(self):
        self.model.eval()
        correct = torch.zeros(2, device=self.device)
        for images, target in self.loaders["val"]:
            images = images.to(self.device, non_blocking=True)
            target = target.to(self.device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.float16, enabled=self.cfg["amp"]):
                logits = self.model(images)
            correct[0] += (logits.argmax(1) == target).sum()
            correct[1] += target.numel()
        dist.all_reduce(correct)
        return (correct[0] / correct[1]).item()

    def fit(self):
        for epoch in range(self.start_epoch, self.cfg["epochs"]):
            loss = self.train_epoch(epoch)
            top1 = self.validate()
            is_best = top1 > self.best_top1
            self.best_top1 = max(top1, self.best_top1)
            if self.is_main():
                print(f"epoch {epoch}: loss {loss:.4f} top1 {top1:.4f} best {self.best_top1:.4f}")
            self.save(epoch, is_best)
        return self.best_top1
