"""DDP on 8 GPUs gives much worse mIoU than 1 GPU with the same global batch

Cityscapes crops are 768x768, so each GPU only holds 2 images; 8 GPUs give a
global batch of 16. On a single A100-80GB with batch 16 I get 71 mIoU; with
this DDP script I get 62 mIoU, same LR schedule and epochs. Loss curves look
similar. Is DDP averaging the gradients wrong?

EDIT: solved - per-GPU batch of 2 means BN statistics over 2 images; converting
to SyncBatchNorm before DDP computes them over the global batch of 16.
"""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from cityscapes import CityscapesCrops, evaluate_miou


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, num_classes=19, base=32):
        super().__init__()
        self.enc1 = double_conv(3, base)
        self.enc2 = double_conv(base, base * 2)
        self.enc3 = double_conv(base * 2, base * 4)
        self.bottleneck = double_conv(base * 4, base * 8)
        self.up3 = nn.ConvTranspose2d(base * 8, base * 4, 2, stride=2)
        self.dec3 = double_conv(base * 8, base * 4)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, 2, stride=2)
        self.dec2 = double_conv(base * 4, base * 2)
        self.up1 = nn.ConvTranspose2d(base * 2, base, 2, stride=2)
        self.dec1 = double_conv(base * 2, base)
        self.classifier = nn.Conv2d(base, num_classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        e3 = self.enc3(F.max_pool2d(e2, 2))
        b = self.bottleneck(F.max_pool2d(e3, 2))
        d3 = self.dec3(torch.cat([self.up3(b), e3], 1))
        d2 = self.dec2(torch.cat([self.up2(d3), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.classifier(d1)


def main():
    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    train_set = CityscapesCrops("/data/cityscapes", split="train", crop=768)
    val_set = CityscapesCrops("/data/cityscapes", split="val", crop=None)
    train_sampler = DistributedSampler(train_set, shuffle=True)
    train_loader = DataLoader(train_set, batch_size=2, sampler=train_sampler, num_workers=4)

    model = nn.SyncBatchNorm.convert_sync_batchnorm(UNet(num_classes=19)).to(device)
    model = DDP(model, device_ids=[local_rank])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    epochs = 120
    total_iters = epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: (1 - it / total_iters) ** 0.9)

    for epoch in range(epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for images, masks in train_loader:
            images, masks = images.to(device), masks.to(device)
            loss = F.cross_entropy(model(images), masks, ignore_index=255)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        if rank == 0 and (epoch + 1) % 10 == 0:
            model.eval()
            miou = evaluate_miou(model.module, val_set, device)
            print(f"epoch {epoch + 1}: loss {loss.item():.4f} mIoU {miou:.2f}")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
