"""
PyTorch port of a TF/Keras EfficientNet-lite style model, trained with DDP on a
procedurally generated shapes dataset (used as a CI / cluster smoke test).

BatchNorm hyper-parameters are converted from the Keras convention:
Keras momentum 0.99 -> PyTorch momentum 1 - 0.99 = 0.01, epsilon 1e-3.
"""
import math
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

KERAS_BN_MOMENTUM = 0.99
BN_MOMENTUM = 1 - KERAS_BN_MOMENTUM
BN_EPS = 1e-3

NUM_TRAIN = 20001
NUM_VAL = 2001
IMG = 64
BATCH_PER_GPU = 32
EPOCHS = 10


class Shapes(Dataset):
    """Circle / square / triangle on noise, deterministic per index."""

    def __init__(self, n, seed):
        self.n = n
        self.seed = seed

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + idx)
        label = int(torch.randint(0, 3, (1,), generator=g))
        yy, xx = torch.meshgrid(torch.arange(IMG), torch.arange(IMG), indexing="ij")
        cx, cy, r = (torch.rand(3, generator=g) * torch.tensor([32.0, 32.0, 12.0]) + torch.tensor([16.0, 16.0, 8.0])).tolist()
        if label == 0:
            mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r ** 2
        elif label == 1:
            mask = ((xx - cx).abs() < r) & ((yy - cy).abs() < r)
        else:
            mask = (yy - cy > -r) & ((xx - cx).abs() < (yy - cy + r) / math.sqrt(3))
        img = 0.3 * torch.rand(1, IMG, IMG, generator=g) + mask.float().unsqueeze(0)
        return img.expand(3, -1, -1).clone(), label


def bn(channels):
    # positional order is (num_features, eps, momentum)
    return nn.BatchNorm2d(channels, BN_EPS, BN_MOMENTUM)


class MBBlock(nn.Module):
    def __init__(self, cin, cout, stride, expand=6):
        super().__init__()
        mid = cin * expand
        self.expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn0 = bn(mid)
        self.dw_conv = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn1 = bn(mid)
        self.project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn2 = bn(cout)
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        h = F.relu6(self.bn0(self.expand_conv(x)))
        h = F.relu6(self.bn1(self.dw_conv(h)))
        h = self.bn2(self.project_conv(h))
        return x + h if self.skip else h


class EfficientLite(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32, eps=BN_EPS, momentum=BN_MOMENTUM), nn.ReLU6())
        self.blocks = nn.Sequential(MBBlock(32, 16, 1, expand=1), MBBlock(16, 24, 2), MBBlock(24, 24, 1), MBBlock(24, 40, 2), MBBlock(40, 80, 2))
        self.head = nn.Sequential(nn.Conv2d(80, 320, 1, bias=False), nn.BatchNorm2d(320, eps=BN_EPS, momentum=BN_MOMENTUM), nn.ReLU6())
        self.fc = nn.Linear(320, num_classes)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    dev = torch.device("cuda", local_rank)
    rank = dist.get_rank()

    train_ds = Shapes(NUM_TRAIN, seed=0)
    val_ds = Shapes(NUM_VAL, seed=1)
    sampler = DistributedSampler(train_ds, shuffle=True, drop_last=True)
    # NUM_TRAIN % BATCH_PER_GPU == 1 on a single GPU -> never keep a trailing batch of one
    train_loader = DataLoader(train_ds, batch_size=BATCH_PER_GPU, sampler=sampler, num_workers=4, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=BATCH_PER_GPU, shuffle=False, num_workers=4)

    model = DDP(EfficientLite().to(dev), device_ids=[local_rank])
    opt = torch.optim.RMSprop(model.parameters(), lr=0.016 * dist.get_world_size() * BATCH_PER_GPU / 256, alpha=0.9, eps=1e-3, momentum=0.9, weight_decay=1e-5)

    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        model.train()
        for x, y in train_loader:
            x, y = x.to(dev, non_blocking=True), y.to(dev, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        if rank == 0:
            net = model.module
            net.eval()
            with torch.no_grad():
                correct = sum((net(x.to(dev)).argmax(1).cpu() == y).sum().item() for x, y in val_loader)
            print(f"epoch {epoch}: loss {loss.item():.4f} val acc {correct / len(val_ds):.4f}")
            torch.save(net.state_dict(), "efficientlite_shapes.pt")
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
