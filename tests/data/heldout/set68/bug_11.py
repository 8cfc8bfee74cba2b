"""Multi-GPU training of a satellite-tile land-cover classifier.

    torchrun --nproc_per_node=8 train_landcover.py --epochs 30

The stem is taken from a model pretrained on a larger archive and is not
fine-tuned; everything after it is trained with synchronised BatchNorm.
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.SiLU(inplace=True),
    )


class LandCoverNet(nn.Module):
    def __init__(self, in_bands=4, n_classes=12):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(in_bands, 32, stride=2), conv_bn(32, 32))
        self.stage1 = nn.Sequential(conv_bn(32, 64, stride=2), conv_bn(64, 64))
        self.stage2 = nn.Sequential(conv_bn(64, 128, stride=2), conv_bn(128, 128))
        self.stage3 = nn.Sequential(conv_bn(128, 256, stride=2), conv_bn(256, 256))
        self.head = nn.Linear(256, n_classes)

    def forward(self, x):
        x = self.stage3(self.stage2(self.stage1(self.stem(x))))
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))


def tiles(n, seed):
    g = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.rand(n, 4, 128, 128, generator=g), torch.randint(0, 12, (n,), generator=g))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32, help="per GPU")
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--stem-ckpt", default="stem_pretrained.pt")
    args = parser.parse_args()

    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    is_main = dist.get_rank() == 0

    train_ds, val_ds = tiles(32000, 0), tiles(4000, 1)
    sampler = DistributedSampler(train_ds, shuffle=True, drop_last=True)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=sampler,
                              num_workers=6, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256, num_workers=6)

    model = LandCoverNet()
    model.stem.load_state_dict(torch.load(args.stem_ckpt, map_location="cpu"))
    model.stem.requires_grad_(False)  # expect: BN105
    model = model.to(device)
    model = DDP(model, device_ids=[local_rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=1e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(train_loader))
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()

        if is_main:
            model.eval()
            correct = 0
            with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16):
                for x, y in val_loader:
                    x, y = x.to(device), y.to(device)
                    correct += (model.module(x).argmax(1) == y).sum().item()
            print(f"epoch {epoch}: val acc {correct / len(val_ds):.4f}")
            torch.save(model.module.state_dict(), "landcover_last.pt")
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
