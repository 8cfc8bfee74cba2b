"""CIFAR-100 wide-resnet with EMA weights, multi-GPU (torchrun).

Config is kept as a nested dict that mirrors configs/wrn28_10.yaml so that
the script stays a single file for the cluster.
"""
import copy
import math
import os
from collections import OrderedDict

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

CONFIG = {
    "model": {"depth": 28, "widen_factor": 10, "dropout": 0.3, "num_classes": 100},
    "data": {"root": "/datasets/cifar100", "batch_size_per_gpu": 4, "workers": 4},
    "optim": {"lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4, "epochs": 200, "warmup_epochs": 5},
    "ema": {"decay": 0.9998},
    "output_dir": "outputs/wrn28_10",
}


class WideBasic(nn.Module):
    def __init__(self, in_planes, planes, dropout, stride=1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, padding=1, bias=False)
        self.dropout = nn.Dropout(p=dropout)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False))

    def forward(self, x):
        out = self.dropout(self.conv1(F.relu(self.bn1(x))))
        out = self.conv2(F.relu(self.bn2(out)))
        return out + self.shortcut(x)


class WideResNet(nn.Module):
    def __init__(self, depth, widen_factor, dropout, num_classes):
        super().__init__()
        n = (depth - 4) // 6
        widths = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        self.in_planes = 16
        self.conv1 = nn.Conv2d(3, widths[0], 3, padding=1, bias=False)
        self.layer1 = self._wide_layer(widths[1], n, dropout, 1)
        self.layer2 = self._wide_layer(widths[2], n, dropout, 2)
        self.layer3 = self._wide_layer(widths[3], n, dropout, 2)
        self.bn = nn.BatchNorm2d(widths[3], momentum=0.1)
        self.fc = nn.Linear(widths[3], num_classes)

    def _wide_layer(self, planes, num_blocks, dropout, stride):
        blocks = OrderedDict()
        for i, s in enumerate([stride] + [1] * (num_blocks - 1)):
            blocks[f"block{i}"] = WideBasic(self.in_planes, planes, dropout, s)
            self.in_planes = planes
        return nn.Sequential(blocks)

    def forward(self, x):
        out = self.conv1(x)
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.relu(self.bn(out))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)


class ModelEMA:
    """Exponential moving average of model weights (weights only, buffers copied)."""

    def __init__(self, model, decay):
        self.module = copy.deepcopy(model)
        self.decay = decay

    @torch.no_grad()
    def update(self, model):
        msd = model.state_dict()
        for name, ema_v in self.module.state_dict().items():
            model_v = msd[name].detach()
            if ema_v.dtype.is_floating_point:
                ema_v.mul_(self.decay).add_(model_v, alpha=1.0 - self.decay)
            else:
                ema_v.copy_(model_v)


def lr_at(epoch, step, steps_per_epoch, cfg):
    t = epoch + step / steps_per_epoch
    if t < cfg["warmup_epochs"]:
        return cfg["lr"] * t / cfg["warmup_epochs"]
    progress = (t - cfg["warmup_epochs"]) / (cfg["epochs"] - cfg["warmup_epochs"])
    return 0.5 * cfg["lr"] * (1 + math.cos(math.pi * progress))


@torch.no_grad()
def evaluate(net, loader, device):
    correct = torch.zeros(1, device=device)
    count = torch.zeros(1, device=device)
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        logits = net(images)  # expect: BN101
        correct += (logits.argmax(-1) == labels).sum()
        count += labels.numel()
    return (correct / count).item()


def main():
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    is_main = dist.get_rank() == 0

    mean, std = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)
    train_tf = transforms.Compose([transforms.RandomCrop(32, 4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize(mean, std)])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    train_set = datasets.CIFAR100(CONFIG["data"]["root"], train=True, transform=train_tf)
    test_set = datasets.CIFAR100(CONFIG["data"]["root"], train=False, transform=test_tf)

    sampler = DistributedSampler(train_set)
    train_loader = DataLoader(train_set, batch_size=CONFIG["data"]["batch_size_per_gpu"], sampler=sampler, num_workers=CONFIG["data"]["workers"], pin_memory=True, drop_last=True)  # expect: BN304
    test_loader = DataLoader(test_set, batch_size=500, num_workers=CONFIG["data"]["workers"])

    model = WideResNet(**CONFIG["model"]).to(device)
    ema = ModelEMA(model, CONFIG["ema"]["decay"])
    model = DDP(model, device_ids=[local_rank])

    ocfg = CONFIG["optim"]
    optimizer = torch.optim.SGD(model.parameters(), lr=ocfg["lr"], momentum=ocfg["momentum"], weight_decay=ocfg["weight_decay"], nesterov=True)

    best = 0.0
    for epoch in range(ocfg["epochs"]):
        sampler.set_epoch(epoch)
        model.train()
        for step, (images, labels) in enumerate(train_loader):
            for group in optimizer.param_groups:
                group["lr"] = lr_at(epoch, step, len(train_loader), ocfg)
            images = images.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            ema.update(model.module)

        if is_main:
            acc = evaluate(ema.module, test_loader, device)
            print(f"epoch {epoch:3d}  ema top1 {acc * 100:.2f}")
            if acc > best:
                best = acc
                os.makedirs(CONFIG["output_dir"], exist_ok=True)
                torch.save({"model": model.module.state_dict(), "ema": ema.module.state_dict(), "epoch": epoch}, os.path.join(CONFIG["output_dir"], "best.pt"))
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
