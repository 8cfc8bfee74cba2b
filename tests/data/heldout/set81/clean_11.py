import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

PER_GPU_BATCH = 16
BASE = 24


def conv_bn3d(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm3d(cout),
        nn.ReLU(inplace=True),
    )


class VolumeNet(nn.Module):
    def __init__(self, in_ch=1, base=BASE, n_classes=3):
        super().__init__()
        self.enc = nn.Sequential(
            conv_bn3d(in_ch, base),
            conv_bn3d(base, base * 2, stride=2),
            conv_bn3d(base * 2, base * 4, stride=2),
        )
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(base * 4, n_classes)

    def forward(self, vol):
        return self.fc(self.pool(self.enc(vol)).flatten(1))


def setup():
    dist.init_process_group("nccl")
    rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(rank)
    return rank


def main():
    rank = setup()
    model = VolumeNet()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model).cuda(rank)
    model = DDP(model, device_ids=[rank])
    ds = TensorDataset(torch.randn(1024, 1, 32, 32, 32), torch.randint(0, 3, (1024,)))
    sampler = DistributedSampler(ds, shuffle=True)
    loader = DataLoader(ds, batch_size=PER_GPU_BATCH, sampler=sampler, drop_last=True, num_workers=2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3 * dist.get_world_size())
    scaler = torch.cuda.amp.GradScaler()
    for epoch in range(5):
        sampler.set_epoch(epoch)
        model.train()
        for vol, y in loader:
            vol, y = vol.cuda(rank, non_blocking=True), y.cuda(rank)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.cross_entropy(model(vol), y)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        if rank == 0:
            model.module.eval()
            with torch.no_grad():
                probe = torch.randn(2, 1, 32, 32, 32, device=f"cuda:{rank}")
                print(epoch, model.module(probe).softmax(-1))
    if rank == 0:
        torch.save(model.module.state_dict(), "volumenet.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
