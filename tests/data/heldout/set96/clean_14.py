"""DDP training (torchrun); optional SyncBatchNorm conversion done before wrapping."""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

PER_GPU_BATCH = 8      # exactly the minimum that keeps per-GPU BN statistics usable


class Backbone(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        cfg = [(3, 64, 2), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
        layers = []
        for cin, cout, s in cfg:
            layers += [nn.Conv2d(cin, cout, 3, s, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


def main(train_set, val_set):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=90)
    parser.add_argument("--sync-bn", action="store_true")
    args = parser.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)

    model = Backbone().cuda(local_rank)
    if args.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = DDP(model, device_ids=[local_rank])

    sampler = DistributedSampler(train_set, shuffle=True)
    loader = DataLoader(train_set, batch_size=PER_GPU_BATCH, sampler=sampler,
                        num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=64, sampler=DistributedSampler(val_set, shuffle=False))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0125 * dist.get_world_size(), momentum=0.9)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for images, labels in loader:
            images, labels = images.cuda(local_rank), labels.cuda(local_rank)
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(images), labels).backward()
            optimizer.step()

        model.eval()
        hits = torch.zeros(2, device=f"cuda:{local_rank}")
        with torch.no_grad():
            for images, labels in val_loader:
                pred = model(images.cuda(local_rank)).argmax(1)
                hits += torch.tensor([(pred == labels.cuda(local_rank)).sum().item(), labels.numel()],
                                     device=hits.device)
        dist.all_reduce(hits)
        if dist.get_rank() == 0:
            print(f"epoch {epoch}: val top1 {(hits[0] / hits[1]).item():.4f}")
    dist.destroy_process_group()
