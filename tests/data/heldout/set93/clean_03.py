"""Multi-GPU training entry point (torchrun).

    torchrun --nproc_per_node=8 clean_03.py --batch-size 32 --sync-bn

``--batch-size`` is the per-GPU batch. BatchNorm layers are converted to
SyncBatchNorm *before* the DistributedDataParallel wrapper is built.
"""
from __future__ import annotations

import argparse
import datetime
import logging
import os
import time
from typing import Dict, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset, DistributedSampler, RandomSampler, SequentialSampler

log = logging.getLogger(__name__)


# --------------------------------------------------------------- distributed
def setup_distributed() -> Tuple[bool, int, int, int]:
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return False, 0, 1, 0
    rank = int(os.environ["RANK"])
    world_size = int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    torch.cuda.set_device(local_rank)
    dist.init_process_group(backend="nccl", timeout=datetime.timedelta(minutes=30))
    dist.barrier()
    return True, rank, world_size, local_rank


def is_main_process() -> bool:
    return not dist.is_initialized() or dist.get_rank() == 0


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, DDP) else model


def reduce_sum(t: torch.Tensor) -> torch.Tensor:
    if dist.is_initialized():
        t = t.clone()
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


# --------------------------------------------------------------------- model
class ConvBNReLU(nn.Sequential):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__(
            nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )


class VGGLike(nn.Module):
    CFG = [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512]

    def __init__(self, num_classes: int = 100) -> None:
        super().__init__()
        layers = []
        in_ch = 3
        for v in self.CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers.append(ConvBNReLU(in_ch, v))
                in_ch = v
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(512, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(256, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


# ---------------------------------------------------------------------- data
class SyntheticCifar(Dataset):
    def __init__(self, length: int, num_classes: int = 100) -> None:
        self.length, self.num_classes = length, num_classes

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int):
        g = torch.Generator().manual_seed(i)
        return torch.randn(3, 32, 32, generator=g), i % self.num_classes


# -------------------------------------------------------------- train / eval
def train_one_epoch(model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer,
                    scheduler, device: torch.device, epoch: int, args) -> Dict[str, float]:
    model.train()
    loss_sum = torch.zeros((), device=device)
    n_seen = torch.zeros((), device=device)
    t0 = time.time()
    for it, (images, target) in enumerate(loader):
        images = images.to(device, non_blocking=True)
        target = target.to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=args.bf16):
            output = model(images)
            loss = F.cross_entropy(output, target, label_smoothing=args.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip_grad > 0:
            nn.utils.clip_grad_norm_(model.parameters(), args.clip_grad)
        optimizer.step()
        scheduler.step()
        loss_sum += loss.detach() * images.size(0)
        n_seen += images.size(0)
        if it % args.print_freq == 0 and is_main_process():
            log.info("epoch %d it %d/%d loss %.4f lr %.5f (%.1fs)", epoch, it, len(loader),
                     loss.item(), optimizer.param_groups[0]["lr"], time.time() - t0)
    return {"train_loss": (reduce_sum(loss_sum) / reduce_sum(n_seen)).item()}


@torch.no_grad()
def validate(model: nn.Module, loader: DataLoader, device: torch.device) -> Dict[str, float]:
    model.eval()
    correct = torch.zeros((), device=device)
    total = torch.zeros((), device=device)
    loss_sum = torch.zeros((), device=device)
    for images, target in loader:
        images = images.to(device, non_blocking=True)
        target = target.to(device, non_blocking=True)
        output = model(images)
        loss_sum += F.cross_entropy(output, target, reduction="sum")
        correct += (output.argmax(1) == target).sum()
        total += target.numel()
    correct, total, loss_sum = reduce_sum(correct), reduce_sum(total), reduce_sum(loss_sum)
    return {"val_loss": (loss_sum / total).item(), "val_acc1": (correct / total).item()}


def save_on_master(state: dict, path: str) -> None:
    if is_main_process():
        tmp = path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, path)


# ----------------------------------------------------------------------- cli
def get_args() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--batch-size", type=int, default=32, help="per-GPU batch size")
    p.add_argument("--epochs", type=int, default=90)
    p.add_argument("--base-lr", type=float, default=0.1, help="lr for a global batch of 256")
    p.add_argument("--wd", type=float, default=1e-4)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--clip-grad", type=float, default=0.0)
    p.add_argument("--sync-bn", action="store_true")
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--print-freq", type=int, default=100)
    p.add_argument("--output-dir", default="checkpoints")
    p.add_argument("--resume", default="")
    p.add_argument("--test-only", action="store_true")
    return p.parse_args()


def main() -> None:
    args = get_args()
    distributed, rank, world_size, local_rank = setup_distributed()
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING)
    device = torch.device("cuda", local_rank) if torch.cuda.is_available() else torch.device("cpu")
    torch.backends.cudnn.benchmark = True

    train_set = SyntheticCifar(50_000)
    val_set = SyntheticCifar(10_000)
    if distributed:
        train_sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
        val_sampler = DistributedSampler(val_set, shuffle=False)
    else:
        train_sampler = RandomSampler(train_set)
        val_sampler = SequentialSampler(val_set)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=train_sampler,
                              num_workers=args.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=2 * args.batch_size, sampler=val_sampler,
                            num_workers=args.workers, pin_memory=True)

    model = VGGLike(num_classes=100)
    if distributed and args.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.to(device)
    if distributed:
        model = DDP(model, device_ids=[local_rank], output_device=local_rank)

    global_batch = args.batch_size * world_size
    lr = args.base_lr * global_batch / 256
    decay, no_decay = [], []
    for name, p in unwrap(model).named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    optimizer = torch.optim.SGD([
        {"params": decay, "weight_decay": args.wd},
        {"params": no_decay, "weight_decay": 0.0},
    ], lr=lr, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, epochs=args.epochs,
                                                    steps_per_epoch=len(train_loader))

    start_epoch, best_acc = 0, 0.0
    if args.resume:
        ckpt = torch.load(args.resume, map_location="cpu")
        unwrap(model).load_state_dict(ckpt["model"])
        if not args.test_only:
            optimizer.load_state_dict(ckpt["optimizer"])
            scheduler.load_state_dict(ckpt["scheduler"])
            start_epoch = ckpt["epoch"] + 1
            best_acc = ckpt.get("best_acc", 0.0)

    if args.test_only:
        log.info("test: %s", validate(model, val_loader, device))
        return

    os.makedirs(args.output_dir, exist_ok=True)
    for epoch in range(start_epoch, args.epochs):
        if distributed:
            train_sampler.set_epoch(epoch)
        stats = train_one_epoch(model, train_loader, optimizer, scheduler, device, epoch, args)
        stats.update(validate(model, val_loader, device))
        is_best = stats["val_acc1"] > best_acc
        best_acc = max(best_acc, stats["val_acc1"])
        state = {
            "model": unwrap(model).state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "epoch": epoch,
            "best_acc": best_acc,
            "args": vars(args),
        }
        save_on_master(state, os.path.join(args.output_dir, "checkpoint.pth"))
        if is_best:
            save_on_master(state, os.path.join(args.output_dir, "model_best.pth"))
        log.info("epoch %d %s best %.4f", epoch, stats, best_acc)

    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
