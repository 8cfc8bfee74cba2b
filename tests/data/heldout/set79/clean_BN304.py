"""Land-cover classification of 13-band Sentinel-2 tiles (512 x 512 px),
data-parallel over all GPUs of one node."""
import os

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

CONFIG = {
    "data": {"root": "/data/s2_tiles", "bands": 13, "num_workers": 6},
    "model": {"width": 48, "num_classes": 10},
    "train": {"batch_size_per_gpu": 4, "epochs": 40, "lr": 0.02, "weight_decay": 5e-4},
    "dist": {"backend": "nccl", "master_addr": "127.0.0.1", "master_port": "29513"},
}
HARDWARE_PRESETS = {
    "a100-80gb": {"batch_size_per_gpu": 32, "lr": 0.08},
    "v100-32gb": {"batch_size_per_gpu": 16, "lr": 0.04},
}
CONFIG["train"].update(HARDWARE_PRESETS["a100-80gb"])


class Sentinel2Tiles(Dataset):
    def __init__(self, root, split):
        self.files = sorted(os.path.join(root, split, f) for f in os.listdir(os.path.join(root, split)))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        arr = np.load(self.files[i])
        x = torch.from_numpy(arr["bands"].astype(np.float32) / 10000.0)
        if torch.rand(()) < 0.5:
            x = x.flip(-1)
        return x, int(arr["label"])


def stage(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def build_model(bands, width, num_classes):
    return nn.Sequential(
        stage(bands, width), stage(width, width * 2), stage(width * 2, width * 4),
        stage(width * 4, width * 8), stage(width * 8, width * 8),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
        nn.Linear(width * 8, num_classes),
    )


def worker(rank, world_size):
    cfg = CONFIG
    os.environ["MASTER_ADDR"] = cfg["dist"]["master_addr"]
    os.environ["MASTER_PORT"] = cfg["dist"]["master_port"]
    dist.init_process_group(cfg["dist"]["backend"], rank=rank, world_size=world_size)
    torch.cuda.set_device(rank)

    train_set = Sentinel2Tiles(cfg["data"]["root"], "train")
    sampler = DistributedSampler(train_set, num_replicas=world_size, rank=rank, shuffle=True)
    loader = DataLoader(train_set, batch_size=cfg["train"]["batch_size_per_gpu"], sampler=sampler, num_workers=cfg["data"]["num_workers"], pin_memory=True, drop_last=True)

    net = build_model(cfg["data"]["bands"], cfg["model"]["width"], cfg["model"]["num_classes"])
    model = DDP(net.cuda(rank), device_ids=[rank])
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["train"]["lr"], momentum=0.9,
                                weight_decay=cfg["train"]["weight_decay"], nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg["train"]["epochs"])

    for epoch in range(cfg["train"]["epochs"]):
        sampler.set_epoch(epoch)
        model.train()
        running = torch.zeros(2, device=rank)
        for x, y in loader:
            x, y = x.cuda(rank, non_blocking=True), y.cuda(rank, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += torch.stack([loss.detach() * y.numel(), torch.tensor(float(y.numel()), device=rank)])
        scheduler.step()
        dist.all_reduce(running)
        if rank == 0:
            print(f"epoch {epoch + 1}: train loss {(running[0] / running[1]).item():.4f}")
            torch.save(model.module.state_dict(), f"landcover_e{epoch + 1}.pt")
    dist.destroy_process_group()


def main():
    world_size = torch.cuda.device_count()
    mp.spawn(worker, args=(world_size,), nprocs=world_size, join=True)


if __name__ == "__main__":
    main()
