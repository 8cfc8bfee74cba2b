"""High-resolution segmentation on 8 GPUs: memory only allows 4 crops per GPU."""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

CROPS_PER_GPU = 4
NUM_CLASSES = 19


def conv_bn_relu(cin, cout, stride=1, dilation=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class DilatedSegNet(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.encoder = nn.Sequential(
            conv_bn_relu(3, 64, 2), conv_bn_relu(64, 128, 2), conv_bn_relu(128, 256, 2),
            conv_bn_relu(256, 256, dilation=2), conv_bn_relu(256, 256, dilation=4),
        )
        self.classifier = nn.Conv2d(256, num_classes, 1)

    def forward(self, x):
        out = self.classifier(self.encoder(x))
        return F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=False)


def main(train_set, iters=40000):
    dist.init_process_group("nccl")
    rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(rank)

    model = DilatedSegNet().cuda(rank)
    model = DDP(model, device_ids=[rank])

    sampler = DistributedSampler(train_set, shuffle=True)
    loader = DataLoader(train_set, batch_size=CROPS_PER_GPU, sampler=sampler, num_workers=4, drop_last=True)  # expect: BN304
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    poly = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: (1 - it / iters) ** 0.9)

    it, epoch = 0, 0
    model.train()
    while it < iters:
        sampler.set_epoch(epoch)
        for img, label in loader:
            img, label = img.cuda(rank), label.cuda(rank)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(img), label, ignore_index=255)
            loss.backward()
            optimizer.step()
            poly.step()
            it += 1
            if it >= iters:
                break
        epoch += 1
    if dist.get_rank() == 0:
        torch.save(model.module.state_dict(), "segnet_final.pt")
    dist.destroy_process_group()
