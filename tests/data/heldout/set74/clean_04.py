"""Distributed 3D medical segmentation: 4 volumes per GPU, BatchNorm synced across ranks."""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

PER_DEVICE_BATCH = 4
VOLUME = (64, 96, 96)
EPOCHS = 50
LR = 3e-4


def conv3d_bn(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv3d(in_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm3d(out_ch),
        nn.LeakyReLU(0.01, inplace=True),
    )


class VNetLite(nn.Module):
    def __init__(self, in_ch=1, n_classes=3, base=16):
        super().__init__()
        self.enc1 = conv3d_bn(in_ch, base)
        self.enc2 = conv3d_bn(base, base * 2)
        self.enc3 = conv3d_bn(base * 2, base * 4)
        self.dec2 = conv3d_bn(base * 4 + base * 2, base * 2)
        self.dec1 = conv3d_bn(base * 2 + base, base)
        self.out = nn.Conv3d(base, n_classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool3d(e1, 2))
        e3 = self.enc3(F.max_pool3d(e2, 2))
        d2 = self.dec2(torch.cat([F.interpolate(e3, scale_factor=2, mode="trilinear"), e2], 1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, scale_factor=2, mode="trilinear"), e1], 1))
        return self.out(d1)


class PhantomVolumes(Dataset):
    def __init__(self, n=400):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        vol = torch.randn(1, *VOLUME, generator=g) * 0.2
        seg = torch.zeros(VOLUME, dtype=torch.long)
        z, y, x = [int(torch.randint(16, s - 16, (1,), generator=g)) for s in VOLUME]
        seg[z - 8 : z + 8, y - 10 : y + 10, x - 10 : x + 10] = 1
        seg[z - 3 : z + 3, y - 4 : y + 4, x - 4 : x + 4] = 2
        vol[0][seg > 0] += seg[seg > 0].float()
        return vol, seg


def main():
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    rank = dist.get_rank()

    dataset = PhantomVolumes()
    sampler = DistributedSampler(dataset, shuffle=True, drop_last=True)
    loader = DataLoader(dataset, batch_size=PER_DEVICE_BATCH, sampler=sampler, num_workers=4, drop_last=True)

    model = VNetLite()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.cuda(local_rank)
    model = DDP(model, device_ids=[local_rank])

    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-5)
    class_weights = torch.tensor([0.2, 1.0, 2.0], device=local_rank)

    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        model.train()
        for vol, seg in loader:
            vol = vol.cuda(local_rank, non_blocking=True)
            seg = seg.cuda(local_rank, non_blocking=True)
            loss = F.cross_entropy(model(vol), seg, weight=class_weights)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if rank == 0:
            print(f"epoch {epoch}: loss {loss.item():.4f}")

    if rank == 0:
        torch.save(model.module.state_dict(), "vnet_lite.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
