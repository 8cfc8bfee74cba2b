"""Distributed ImageNet-style training (ResNet-50, per-GPU BatchNorm) with checkpoint/resume.

    torchrun --nnodes=2 --nproc_per_node=8 clean_14.py --data /datasets/imagenet
"""
import argparse
import os
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler


def is_main() -> bool:
    return dist.get_rank() == 0


class DistributedTrainer:
    def __init__(self, args):
        self.args = args
        self.local_rank = int(os.environ["LOCAL_RANK"])
        self.device = torch.device("cuda", self.local_rank)
        torch.cuda.set_device(self.device)

        norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        train_tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), norm])
        val_tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), norm])
        train_set = torchvision.datasets.ImageFolder(Path(args.data) / "train", train_tf)
        val_set = torchvision.datasets.ImageFolder(Path(args.data) / "val", val_tf)
        self.train_sampler = DistributedSampler(train_set, shuffle=True)
        self.train_loader = DataLoader(train_set, batch_size=args.batch_size_per_gpu, sampler=self.train_sampler,
                                       num_workers=args.workers, pin_memory=True, drop_last=True,
                                       persistent_workers=True)
        self.val_loader = DataLoader(val_set, batch_size=100, sampler=DistributedSampler(val_set, shuffle=False),
                                     num_workers=args.workers, pin_memory=True)

        model = torchvision.models.resnet50(weights=None, zero_init_residual=True).to(self.device)
        self.model = DDP(model, device_ids=[self.local_rank])
        world = dist.get_world_size()
        base_lr = 0.1 * args.batch_size_per_gpu * world / 256
        decay, no_decay = [], []
        for name, p in self.model.named_parameters():
            (no_decay if p.ndim <= 1 else decay).append(p)
        self.optimizer = torch.optim.SGD([{"params": decay, "weight_decay": 1e-4},
                                          {"params": no_decay, "weight_decay": 0.0}],
                                         lr=base_lr, momentum=0.9, nesterov=True)
        steps = args.epochs * len(self.train_loader)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, max_lr=base_lr, total_steps=steps,
                                                             pct_start=5 / args.epochs, anneal_strategy="cos")
        self.start_epoch, self.best_acc = 0, 0.0
        self.ckpt_path = Path(args.output) / "checkpoint.pth"
        if self.ckpt_path.exists():
            self.resume()

    def resume(self):
        state = torch.load(self.ckpt_path, map_location=self.device)
        self.model.module.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.start_epoch, self.best_acc = state["epoch"] + 1, state["best_acc"]
        if is_main():
            print(f"resumed from epoch {state['epoch']}")

    def save(self, epoch, is_best):
        if not is_main():
            return
        state = {"model": self.model.module.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "scheduler": self.scheduler.state_dict(), "epoch": epoch, "best_acc": self.best_acc}
        torch.save(state, self.ckpt_path)
        if is_best:
            torch.save(state["model"], self.ckpt_path.with_name("best_model.pth"))

    def train_one_epoch(self, epoch):
        self.model.train()
        self.train_sampler.set_epoch(epoch)
        tic = time.time()
        for i, (images, target) in enumerate(self.train_loader):
            images = images.to(self.device, non_blocking=True)
            target = target.to(self.device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(self.model(images), target, label_smoothing=0.1)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            if i % 100 == 0 and is_main():
                print(f"epoch {epoch} [{i}/{len(self.train_loader)}] loss {loss.item():.3f} "
                      f"lr {self.scheduler.get_last_lr()[0]:.4f} {time.time() - tic:.0f}s")

    @torch.no_grad()
    def evaluate(self):
        self.model.eval()
        stats = torch.zeros(3, device=self.device)
        for images, target in self.val_loader:
            images, target = images.to(self.device, non_blocking=True), target.to(self.device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                logits = self.model(images)
            top5 = logits.topk(5, dim=1).indices
            stats[0] += (top5[:, 0] == target).sum()
            stats[1] += (top5 == target[:, None]).any(dim=1).sum()
            stats[2] += target.numel()
        dist.all_reduce(stats)
        return (stats[0] / stats[2]).item(), (stats[1] / stats[2]).item()

    def fit(self):
        for epoch in range(self.start_epoch, self.args.epochs):
            self.train_one_epoch(epoch)
            top1, top5 = self.evaluate()
            is_best = top1 > self.best_acc
            self.best_acc = max(top1, self.best_acc)
            if is_main():
                print(f"epoch {epoch}: top1 {top1:.4f} top5 {top5:.4f} best {self.best_acc:.4f}")
            self.save(epoch, is_best)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--output", default="runs/resnet50")
    parser.add_argument("--epochs", type=int, default=90)
    parser.add_argument("--batch-size-per-gpu", type=int, default=64)
    parser.add_argument("--workers", type=int, default=10)
    args = parser.parse_args()
    dist.init_process_group(backend="nccl")
    Path(args.output).mkdir(parents=True, exist_ok=True)
    try:
        DistributedTrainer(args).fit()
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
