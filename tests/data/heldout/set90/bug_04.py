"""SimCLR pre-training, ResNet-50, multi-GPU (one process per GPU).

    torchrun --nproc_per_node=8 simclr_ddp.py --data /datasets/imagenet/train
"""
import argparse
import math
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler


class TwoCrops:
    def __init__(self, base):
        self.base = base

    def __call__(self, x):
        return self.base(x), self.base(x)


def simclr_augment(size=224, s=1.0):
    jitter = T.ColorJitter(0.8 * s, 0.8 * s, 0.8 * s, 0.2 * s)
    return T.Compose([
        T.RandomResizedCrop(size),
        T.RandomHorizontalFlip(),
        T.RandomApply([jitter], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.GaussianBlur(23, sigma=(0.1, 2.0)),
        T.ToTensor(),
        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])


class ProjectionHead(nn.Module):
    def __init__(self, in_dim=2048, hidden_dim=2048, out_dim=128):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(in_dim, hidden_dim, bias=False),
            nn.BatchNorm2d(hidden_dim),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Linear(hidden_dim, out_dim, bias=False),
            nn.BatchNorm1d(out_dim),
        )

    def forward(self, x):
        return self.layers(x)


class SimCLR(nn.Module):
    def __init__(self, proj_dim=128):
        super().__init__()
        self.backbone = torchvision.models.resnet50(weights=None, zero_init_residual=True)
        feat_dim = self.backbone.fc.in_features
        self.backbone.fc = nn.Identity()
        self.head = ProjectionHead(feat_dim, 2048, proj_dim)

    def forward(self, x):
        return self.head(self.backbone(x))


class GatherLayer(torch.autograd.Function):
    """all_gather with gradient flowing back to every rank."""

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


def nt_xent(z1, z2, temperature):
    z1 = F.normalize(z1, dim=1)
    z2 = F.normalize(z2, dim=1)
    z1_all = torch.cat(GatherLayer.apply(z1), 0)
    z2_all = torch.cat(GatherLayer.apply(z2), 0)
    z = torch.cat([z1_all, z2_all], 0)
    n = z1_all.size(0)
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, targets)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128, help="per GPU")
    parser.add_argument("--lr", type=float, default=0.3)
    parser.add_argument("--wd", type=float, default=1e-6)
    parser.add_argument("--temperature", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--out", default="checkpoints/simclr")
    args = parser.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    rank = dist.get_rank()

    dataset = torchvision.datasets.ImageFolder(args.data, TwoCrops(simclr_augment()))
    sampler = DistributedSampler(dataset, shuffle=True)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler,
                        num_workers=args.workers, pin_memory=True, drop_last=True)

    model = SimCLR().cuda(local_rank)
    model = DDP(model, device_ids=[local_rank])
    # SimCLR relies on global BN statistics across devices
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    lr = args.lr * args.batch_size * dist.get_world_size() / 256
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=args.wd)
    total_steps = args.epochs * len(loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / total_steps)))

    model.train()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        for step, ((x1, x2), _) in enumerate(loader):
            x1 = x1.cuda(local_rank, non_blocking=True)
            x2 = x2.cuda(local_rank, non_blocking=True)
            loss = nt_xent(model(x1), model(x2), args.temperature)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            if rank == 0 and step % 50 == 0:
                print(f"ep {epoch} step {step}/{len(loader)} loss {loss.item():.4f}")
        if rank == 0:
            os.makedirs(args.out, exist_ok=True)
            torch.save({"epoch": epoch, "state_dict": model.module.state_dict()},
                       os.path.join(args.out, "last.pth"))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
