"""Multi-GPU DCGAN training with DistributedDataParallel.

torchrun --standalone --nproc_per_node=4 clean_12.py --data /data/lsun_church

BatchNorm layers of both networks are converted to SyncBatchNorm *before*
wrapping in DDP so that batch statistics are computed over the global batch.
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms
from torchvision.utils import save_image


def build_generator(nz=128, ngf=64):
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh(),
    )


def build_discriminator(ndf=64):
    return nn.Sequential(
        nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0), nn.Flatten(0),
    )


def setup():
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    return dist.get_rank(), dist.get_world_size(), local_rank


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-per-gpu", type=int, default=64)
    ap.add_argument("--nz", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--out", default="ddp_dcgan")
    args = ap.parse_args()
    rank, world, local_rank = setup()
    device = torch.device("cuda", local_rank)

    tf = transforms.Compose([transforms.Resize(64), transforms.CenterCrop(64), transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])
    dataset = datasets.ImageFolder(args.data, tf)
    sampler = DistributedSampler(dataset, shuffle=True, drop_last=True)
    loader = DataLoader(dataset, batch_size=args.batch_per_gpu, sampler=sampler, num_workers=8, pin_memory=True, drop_last=True)

    netG = nn.SyncBatchNorm.convert_sync_batchnorm(build_generator(args.nz)).to(device)
    netD = nn.SyncBatchNorm.convert_sync_batchnorm(build_discriminator()).to(device)
    netG = DDP(netG, device_ids=[local_rank])
    netD = DDP(netD, device_ids=[local_rank])
    optG = torch.optim.Adam(netG.parameters(), lr=args.lr, betas=(0.5, 0.999))
    optD = torch.optim.Adam(netD.parameters(), lr=args.lr, betas=(0.5, 0.999))

    torch.manual_seed(1234)
    fixed_z = torch.randn(64, args.nz, 1, 1, device=device)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        netG.train()
        netD.train()
        for step, (real, _) in enumerate(loader):
            real = real.to(device, non_blocking=True)
            z = torch.randn(real.size(0), args.nz, 1, 1, device=device)
            fake = netG(z)

            d_loss = F.softplus(-netD(real)).mean() + F.softplus(netD(fake.detach())).mean()
            optD.zero_grad(set_to_none=True)
            d_loss.backward()
            optD.step()

            g_loss = F.softplus(-netD(fake)).mean()
            optG.zero_grad(set_to_none=True)
            g_loss.backward()
            optG.step()

            if rank == 0 and step % 200 == 0:
                print(f"epoch {epoch} step {step}/{len(loader)} d {d_loss.item():.3f} g {g_loss.item():.3f}")

        if rank == 0:
            os.makedirs(args.out, exist_ok=True)
            netG.eval()
            with torch.no_grad():
                samples = netG.module(fixed_z)
            netG.train()
            save_image(samples, os.path.join(args.out, f"epoch_{epoch:03d}.png"), normalize=True)
            torch.save({"G": netG.module.state_dict(), "D": netD.module.state_dict()}, os.path.join(args.out, "ckpt.pt"))
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
