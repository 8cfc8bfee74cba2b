# Data-parallel training on a single 8-GPU node with mp.spawn.
# Plain BatchNorm is fine here: every GPU gets 512 / 8 = 64 images per step.
import os
import time
from collections import OrderedDict

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

WORLD_SIZE = 8
GLOBAL_BATCH = 512
PER_GPU_BATCH = GLOBAL_BATCH // WORLD_SIZE
EPOCHS = 100
LR = 0.2 * GLOBAL_BATCH / 256
DATA = "/data/tiny-imagenet-200"
SAVE_DIR = "./ckpt_tiny"


def make_stage(cin, cout, n_convs):
    layers = OrderedDict()
    for i in range(n_convs):
        layers[f"conv{i}"] = nn.Conv2d(cin if i == 0 else cout, cout, kernel_size=3, padding=1, bias=False)
        layers[f"bn{i}"] = nn.BatchNorm2d(cout)
        layers[f"relu{i}"] = nn.ReLU(inplace=True)
    layers["pool"] = nn.MaxPool2d(2)
    return nn.Sequential(layers)


class TinyNet(nn.Module):
    def __init__(self, num_classes=200):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("stage1", make_stage(3, 64, 2)),
            ("stage2", make_stage(64, 128, 2)),
            ("stage3", make_stage(128, 256, 3)),
            ("stage4", make_stage(256, 512, 3)),
        ]))
        self.head = nn.Sequential(OrderedDict([
            ("gap", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(512, 1024, bias=False)),
            ("bn_fc1", nn.BatchNorm1d(1024)),
            ("act", nn.ReLU(inplace=True)),
            ("drop", nn.Dropout(0.3)),
            ("fc2", nn.Linear(1024, num_classes)),
        ]))

    def forward(self, x):
        return self.head(self.features(x))


def validate(model, loader, device):
    model.eval()
    correct = torch.tensor(0, device=device)
    seen = 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            with torch.autocast("cuda", dtype=torch.float16):
                logits = model(images)
            correct += (logits.argmax(1) == labels).sum()
            seen += labels.size(0)
    return correct.item() / seen


def run(rank, world_size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "12355"
    dist.init_process_group("nccl", rank=rank, world_size=world_size)
    torch.cuda.set_device(rank)
    device = torch.device("cuda", rank)

    norm = transforms.Normalize((0.480, 0.448, 0.398), (0.277, 0.269, 0.282))
    train_set = datasets.ImageFolder(os.path.join(DATA, "train"), transforms.Compose([transforms.RandomCrop(64, padding=8), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    val_set = datasets.ImageFolder(os.path.join(DATA, "val"), transforms.Compose([transforms.ToTensor(), norm]))
    sampler = DistributedSampler(train_set, num_replicas=world_size, rank=rank)
    train_loader = DataLoader(train_set, batch_size=PER_GPU_BATCH, sampler=sampler, num_workers=6, pin_memory=True, persistent_workers=True)
    val_loader = DataLoader(val_set, batch_size=PER_GPU_BATCH, num_workers=4)

    model = DDP(TinyNet().to(device), device_ids=[rank])
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=EPOCHS * len(train_loader))
    scaler = torch.cuda.amp.GradScaler()
    criterion = nn.CrossEntropyLoss()

    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        model.train()
        start = time.perf_counter()
        for images, labels in train_loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = criterion(model(images), labels)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()

        if rank == 0:
            acc = validate(model.module, val_loader, device)
            print(f"[{epoch:03d}] loss={loss.item():.3f} val_acc={acc:.4f} ({time.perf_counter() - start:.1f}s)")
            os.makedirs(SAVE_DIR, exist_ok=True)
            torch.save(model.module.state_dict(), os.path.join(SAVE_DIR, "tinynet.pt"))
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(run, args=(WORLD_SIZE,), nprocs=WORLD_SIZE, join=True)
