# Q: "DDP on 8 GPUs gives much worse accuracy than 1 GPU with the same global batch size"
#
# Single GPU, batch 32: 91% val accuracy. 8 GPUs x 4 images = 32 global batch, same lr,
# same everything: 83% and the val curve is very noisy. I thought DDP with the same
# global batch should be mathematically equivalent? Launched with
#   torchrun --standalone --nproc_per_node=8 train.py

import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

PER_GPU_BATCH = 4          # 8 GPUs x 4 = 32, like my single GPU run
EPOCHS = 60
BASE_LR = 0.05
DATA_ROOT = "/data/cifar10"


class Block(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True))
        self.layers = nn.Sequential(Block(64, 64), Block(64, 128, 2), Block(128, 256, 2), Block(256, 512, 2))
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def evaluate(model, loader, device):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


def main():
    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    device = torch.device(f"cuda:{local_rank}")
    torch.cuda.set_device(device)

    tf_train = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    tf_test = transforms.ToTensor()
    train_set = datasets.CIFAR10(DATA_ROOT, train=True, transform=tf_train, download=rank == 0)
    test_set = datasets.CIFAR10(DATA_ROOT, train=False, transform=tf_test)
    train_sampler = DistributedSampler(train_set)
    train_loader = DataLoader(train_set, batch_size=PER_GPU_BATCH, sampler=train_sampler, num_workers=4, pin_memory=True)  # expect: BN304
    test_loader = DataLoader(test_set, batch_size=256, num_workers=4)

    model = SmallResNet().to(device)
    model = DistributedDataParallel(model, device_ids=[local_rank])
    optimizer = torch.optim.SGD(model.parameters(), lr=BASE_LR, momentum=0.9, weight_decay=5e-4, nesterov=True)

    model.train()
    for epoch in range(EPOCHS):
        train_sampler.set_epoch(epoch)
        t0 = time.time()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        acc = evaluate(model, test_loader, device)  # expect: BN103
        if rank == 0:
            print(f"epoch {epoch} loss {loss.item():.3f} test acc {acc:.4f} ({time.time() - t0:.0f}s)")

    if rank == 0:
        torch.save(model.module.state_dict(), "cifar10_resnet.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
