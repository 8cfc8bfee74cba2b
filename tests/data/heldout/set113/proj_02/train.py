from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from .engine import evaluate, train_one_epoch
from .model import build_model


class 欠陥データ(Dataset):
    """前処理済みテンソル (.pt: {"image": (3,224,224), "labels": (4,)}) のディレクトリ。"""

    def __init__(self, root: str) -> None:
        self.files = sorted(Path(root).glob("*.pt"))

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        d = torch.load(self.files[i])
        return d["image"], d["labels"]


def 引数() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="/data/defects")
    p.add_argument("--per-gpu-batch", type=int, default=32)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--weights", default=None)
    return p.parse_args()


def main() -> None:
    a = 引数()
    dist.init_process_group("nccl")
    rank = dist.get_rank(); local = int(os.environ["LOCAL_RANK"]); torch.cuda.set_device(local)
    dev = torch.device("cuda", local)

    model = build_model(a.weights)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model).to(dev)
    model = DDP(model, device_ids=[local])

    訓練 = 欠陥データ(f"{a.root}/train")
    検証 = 欠陥データ(f"{a.root}/val")
    sampler = DistributedSampler(訓練, shuffle=True)
    train_loader = DataLoader(訓練, batch_size=a.per_gpu_batch, sampler=sampler, num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(検証, batch_size=64, sampler=DistributedSampler(検証, shuffle=False), num_workers=8)

    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.02, momentum=0.9, weight_decay=1e-4)
    for epoch in range(a.epochs):
        sampler.set_epoch(epoch)
        loss = train_one_epoch(model, train_loader, opt, dev)
        acc = evaluate(model, val_loader, dev)
        if rank == 0:
            print(f"epoch {epoch:03d} loss {loss:.4f} exact-match {acc:.4f}")
            torch.save(model.module.state_dict(), "defects_last.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
