"""SimCLR pre-training on unlabeled retail shelf photos.

    torchrun --nproc_per_node=8 pretrain_simclr.py --data /data/shelves --sync-bn
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.distributed.nn
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, models, transforms


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=128, help="per GPU")
    p.add_argument("--lr", type=float, default=0.3)
    p.add_argument("--temperature", type=float, default=0.2)
    p.add_argument("--sync-bn", action="store_true")
    p.add_argument("--workers", type=int, default=10)
    return p.parse_args()


class TwoCrops:
    def __init__(self, size=160):
        self.tf = transforms.Compose([
            transforms.RandomResizedCrop(size, scale=(0.2, 1.0)),
            transforms.RandomHorizontalFlip(),
            transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
            transforms.RandomGrayscale(p=0.2),
            transforms.ToTensor(),
        ])

    def __call__(self, img):
        return self.tf(img), self.tf(img)


class SimCLR(nn.Module):
    def __init__(self, proj_dim=128):
        super().__init__()
        self.encoder = models.resnet50(weights=None)
        feat = self.encoder.fc.in_features
        self.encoder.fc = nn.Identity()
        self.projector = nn.Sequential(
            nn.Linear(feat, 2048, bias=False), nn.BatchNorm1d(2048), nn.ReLU(inplace=True),
            nn.Linear(2048, proj_dim, bias=False), nn.BatchNorm1d(proj_dim, affine=False),
        )

    def forward(self, x):
        return self.projector(self.encoder(x))


def nt_xent(z1, z2, temperature):
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    z1_all = torch.cat(dist.nn.all_gather(z1), dim=0) if dist.is_initialized() else z1
    z2_all = torch.cat(dist.nn.all_gather(z2), dim=0) if dist.is_initialized() else z2
    n = z1_all.shape[0]
    z = torch.cat([z1_all, z2_all], dim=0)
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, targets)


def wrap_for_ddp(model, local_rank, sync_bn):
    if sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return DDP(model.cuda(local_rank), device_ids=[local_rank])


def main():
    args = parse_args()
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    is_main = dist.get_rank() == 0

    dataset = datasets.ImageFolder(args.data, transform=TwoCrops())
    sampler = DistributedSampler(dataset, shuffle=True, drop_last=True)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler,
                        num_workers=args.workers, pin_memory=True, drop_last=True)

    model = wrap_for_ddp(SimCLR(), local_rank, args.sync_bn)
    lr = args.lr * args.batch_size * dist.get_world_size() / 256
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-6)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for (x1, x2), _ in loader:
            x1, x2 = x1.cuda(local_rank, non_blocking=True), x2.cuda(local_rank, non_blocking=True)
            loss = nt_xent(model(x1), model(x2), args.temperature)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()
        if is_main:
            print(f"epoch {epoch + 1}/{args.epochs} loss {loss.item():.4f}")
            torch.save(model.module.encoder.state_dict(), f"simclr_encoder_e{epoch + 1}.pt")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
