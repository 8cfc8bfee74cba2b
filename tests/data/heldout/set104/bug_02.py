# Multi-GPU training of a small VGG-style classifier on an ImageFolder dataset.
# Launched with torch.multiprocessing.spawn (one process per GPU) -- no torchrun needed.
import os
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn, optim
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from torchvision import datasets, transforms

DATA_DIR = "/data/flowers102"
NUM_CLASSES = 102
NUM_GPUS = 8
GLOBAL_BATCH_SIZE = 32
BATCH_PER_GPU = GLOBAL_BATCH_SIZE // NUM_GPUS
EPOCHS = 60
BASE_LR = 0.01 * GLOBAL_BATCH_SIZE / 256
CKPT_DIR = "runs/vgg_flowers"


def conv_bn(in_c, out_c):
    return nn.Sequential(
        nn.Conv2d(in_c, out_c, kernel_size=3, padding=1),  # expect: BN204
        nn.BatchNorm2d(out_c),
        nn.ReLU(inplace=True),
    )


class VGGish(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 64), conv_bn(64, 64), nn.MaxPool2d(2),
            conv_bn(64, 128), conv_bn(128, 128), nn.MaxPool2d(2),
            conv_bn(128, 256), conv_bn(256, 256), nn.MaxPool2d(2),
            conv_bn(256, 512), conv_bn(512, 512), nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(512, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def setup(rank, world_size):
    os.environ.setdefault("MASTER_ADDR", "localhost")
    os.environ.setdefault("MASTER_PORT", "29500")
    dist.init_process_group("nccl", rank=rank, world_size=world_size)
    torch.cuda.set_device(rank)


def cleanup():
    dist.destroy_process_group()


def build_loaders(rank, world_size):
    normalize = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        normalize,
    ])
    val_tf = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        normalize,
    ])
    train_ds = datasets.ImageFolder(os.path.join(DATA_DIR, "train"), transform=train_tf)
    val_ds = datasets.ImageFolder(os.path.join(DATA_DIR, "val"), transform=val_tf)

    sampler = DistributedSampler(train_ds, num_replicas=world_size, rank=rank, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=BATCH_PER_GPU, sampler=sampler, num_workers=4, pin_memory=True)  # expect: BN304
    val_loader = DataLoader(val_ds, batch_size=64, shuffle=False, num_workers=4)
    return train_loader, val_loader, sampler


def accuracy(model, loader, device):
    model.eval()
    hits = seen = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            hits += (model(x).argmax(1) == y).sum().item()
            seen += y.numel()
    return hits / seen


def worker(rank, world_size):
    setup(rank, world_size)
    device = torch.device(f"cuda:{rank}")
    train_loader, val_loader, sampler = build_loaders(rank, world_size)

    net = VGGish().to(device)
    ddp_net = DistributedDataParallel(net, device_ids=[rank])
    optimizer = optim.SGD(ddp_net.parameters(), lr=BASE_LR, momentum=0.9, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.1)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        ddp_net.train()
        start = time.time()
        for step, (x, y) in enumerate(train_loader):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            optimizer.zero_grad()
            loss = loss_fn(ddp_net(x), y)
            loss.backward()
            optimizer.step()
            if rank == 0 and step % 50 == 0:
                print(f"[epoch {epoch} step {step}] loss={loss.item():.4f}")
        scheduler.step()

        if rank == 0:
            acc = accuracy(ddp_net.module, val_loader, device)
            print(f"epoch {epoch}: val acc {acc:.3f} ({time.time() - start:.0f}s)")
            os.makedirs(CKPT_DIR, exist_ok=True)
            torch.save(ddp_net.module.state_dict(), os.path.join(CKPT_DIR, f"epoch_{epoch:03d}.pt"))
        dist.barrier()

    cleanup()


if __name__ == "__main__":
    mp.spawn(worker, args=(NUM_GPUS,), nprocs=NUM_GPUS, join=True)
