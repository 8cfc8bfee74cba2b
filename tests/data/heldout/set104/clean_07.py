"""SimCLR pre-training with SyncBatchNorm everywhere (torchrun, NCCL).

Contrastive learning is very sensitive to BN leaking information between the
two views on a single GPU, so all norm layers are nn.SyncBatchNorm from the start.

    torchrun --nnodes=1 --nproc_per_node=8 simclr.py --batch-size 32
"""
import argparse
import math
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler
from torchvision import datasets, transforms


class TwoCrops:
    def __init__(self, tf):
        self.tf = tf

    def __call__(self, x):
        return self.tf(x), self.tf(x)


def conv_sbn(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.SyncBatchNorm(cout),
        nn.ReLU(inplace=True),
    )


class Encoder(nn.Module):
    def __init__(self, dim=512):
        super().__init__()
        self.net = nn.Sequential(
            conv_sbn(3, 64), conv_sbn(64, 64),
            conv_sbn(64, 128, 2), conv_sbn(128, 128),
            conv_sbn(128, 256, 2), conv_sbn(256, 256),
            conv_sbn(256, dim, 2), conv_sbn(dim, dim),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )

    def forward(self, x):
        return self.net(x)


class SimCLR(nn.Module):
    def __init__(self, feat_dim=512, proj_dim=128, hidden=2048):
        super().__init__()
        self.encoder = Encoder(feat_dim)
        self.projector = nn.Sequential(
            nn.Linear(feat_dim, hidden, bias=False),
            nn.SyncBatchNorm(hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, proj_dim, bias=False),
            nn.SyncBatchNorm(proj_dim, affine=False),
        )

    def forward(self, x):
        return self.projector(self.encoder(x))


class GatherLayer(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = [torch.zeros_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(out, x)
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        all_grads = torch.stack(grads)
        dist.all_reduce(all_grads)
        return all_grads[dist.get_rank()]


def nt_xent(z1, z2, temperature=0.2):
    z1 = torch.cat(GatherLayer.apply(F.normalize(z1, dim=1)), dim=0)
    z2 = torch.cat(GatherLayer.apply(F.normalize(z2, dim=1)), dim=0)
    z = torch.cat([z1, z2], dim=0)
    n = z1.size(0)
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, targets)


@torch.no_grad()
def knn_monitor(encoder, memory_loader, test_loader, device, k=20):
    encoder.train(False)
    bank, labels = [], []
    for x, y in memory_loader:
        bank.append(F.normalize(encoder(x.to(device)), dim=1))
        labels.append(y.to(device))
    bank, labels = torch.cat(bank), torch.cat(labels)
    hits = total = 0
    for x, y in test_loader:
        feat = F.normalize(encoder(x.to(device)), dim=1)
        idx = (feat @ bank.t()).topk(k, dim=1).indices
        pred = labels[idx].mode(dim=1).values
        hits += (pred == y.to(device)).sum().item()
        total += y.numel()
    encoder.train(True)
    return hits / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="./data")
    ap.add_argument("--batch-size", type=int, default=32, help="per GPU; SyncBN sees batch * world_size")
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--lr", type=float, default=0.3)
    ap.add_argument("--save", default="simclr.pth")
    args = ap.parse_args()

    dist.init_process_group(backend="nccl", init_method="env://")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    aug = transforms.Compose([
        transforms.RandomResizedCrop(32, scale=(0.2, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        transforms.RandomGrayscale(0.2),
        transforms.ToTensor(),
    ])
    train_set = datasets.CIFAR10(args.data, train=True, transform=TwoCrops(aug))
    sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
    loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler, num_workers=8, pin_memory=True, drop_last=True)
    memory_loader = DataLoader(datasets.CIFAR10(args.data, train=True, transform=transforms.ToTensor()), batch_size=512, num_workers=4)
    test_loader = DataLoader(datasets.CIFAR10(args.data, train=False, transform=transforms.ToTensor()), batch_size=512, num_workers=4)

    model = DDP(SimCLR().to(device), device_ids=[local_rank])
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-6)
    total_steps = args.epochs * len(loader)

    step = 0
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for (x1, x2), _ in loader:
            lr = args.lr * 0.5 * (1 + math.cos(math.pi * step / total_steps))
            for g in optimizer.param_groups:
                g["lr"] = lr
            x1, x2 = x1.to(device, non_blocking=True), x2.to(device, non_blocking=True)
            z1, z2 = model(torch.cat([x1, x2], dim=0)).chunk(2, dim=0)
            loss = nt_xent(z1, z2)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1

        if rank == 0 and (epoch + 1) % 10 == 0:
            acc = knn_monitor(model.module.encoder, memory_loader, test_loader, device)
            print(f"epoch {epoch + 1}: loss {loss.item():.4f} kNN acc {acc:.4f}")
            torch.save(model.module.state_dict(), args.save)
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
