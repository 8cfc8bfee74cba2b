"""Trainer that owns process-group aware state (model, sampler, scaler)."""
import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


class Trainer:
    def __init__(self, model, loaders, args, local_rank):
        self.args = args
        self.rank = dist.get_rank()
        self.device = torch.device("cuda", local_rank)
        # convert BN -> SyncBN on the bare module, *then* wrap in DDP
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model).to(self.device)
        self.model = DDP(model, device_ids=[local_rank])
        self.loaders = loaders
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=args.lr, momentum=0.9,
                                         weight_decay=args.wd)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, args.epochs)
        self.scaler = torch.cuda.amp.GradScaler()
        self.epoch = 0
        self.best = 0.0
        ckpt = os.path.join(args.out, "last.pt")
        if args.resume and os.path.isfile(ckpt):
            self.load(ckpt)

    def load(self, path):
        state = torch.load(path, map_location=self.device)
        self.model.module.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.epoch, self.best = state["epoch"] + 1, state["best"]

    def save(self, name, epoch):
        if self.rank == 0:
            os.makedirs(self.args.out, exist_ok=True)
            torch.save({"model": self.model.module.state_dict(),
                        "optimizer": self.optimizer.state_dict(),
                        "scheduler": self.scheduler.state_dict(),
                        "scaler": self.scaler.state_dict(),
                        "epoch": epoch, "best": self.best},
                       os.path.join(self.args.out, name))

    def train_one_epoch(self, epoch):
        self.model.train()
        self.loaders["train"].sampler.set_epoch(epoch)
        start = time.time()
        for i, (x, y) in enumerate(self.loaders["train"]):
            x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.cross_entropy(self.model(x), y)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            if self.rank == 0 and i % 100 == 0:
                print(f"epoch {epoch} it {i} loss {loss.item():.4f} ({time.time() - start:.0f}s)")
        self.scheduler.step()

    @torch.no_grad()
    def evaluate(self):
        self.model.eval()
        stats = torch.zeros(2, device=self.device)
        for x, y in self.loaders["val"]:
            x, y = x.to(self.device), y.to(self.device)
            with torch.autocast("cuda", dtype=torch.float16):
                pred = self.model(x).argmax(1)
            stats += torch.stack([(pred == y).sum(), torch.tensor(y.numel(), device=self.device)])
        dist.all_reduce(stats)
        return (stats[0] / stats[1]).item()

    def fit(self):
        for epoch in range(self.epoch, self.args.epochs):
            self.train_one_epoch(epoch)
            acc = self.evaluate()
            if acc > self.best:
                self.best = acc
                self.save("best.pt", epoch)
            self.save("last.pt", epoch)
            if self.rank == 0:
                print(f"epoch {epoch}: top1 {acc:.4f} (best {self.best:.4f})")
        return self.best
