"""Multi-GPU detection-backbone pretraining (launched with torchrun)."""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

PER_GPU_BATCH = 32


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


def setup():
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    return local_rank


def main(train_set, epochs=90):
    local_rank = setup()
    model = Backbone().cuda(local_rank)
    model = DDP(model, device_ids=[local_rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    sampler = DistributedSampler(train_set, shuffle=True)
    loader = DataLoader(train_set, batch_size=PER_GPU_BATCH, sampler=sampler,
                        num_workers=8, pin_memory=True, drop_last=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1 * dist.get_world_size(),
                                momentum=0.9, weight_decay=1e-4)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        model.train()
        for images, labels in loader:
            images = images.cuda(local_rank, non_blocking=True)
            labels = labels.cuda(local_rank, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
        if dist.get_rank() == 0:
            torch.save(model.module.state_dict(), f"backbone_{epoch:03d}.pt")
    dist.destroy_process_group()
