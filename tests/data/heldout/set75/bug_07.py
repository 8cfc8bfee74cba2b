# multi gpu training on the lab server (4 gpus)
# run:  python train_ddp.py
import os
import torch
import torch.nn as nn
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
import torchvision
import torchvision.transforms as T

EPOCHS = 20
WORLD_SIZE = 4


def setup(rank, world_size):
    os.environ['MASTER_ADDR'] = 'localhost'
    os.environ['MASTER_PORT'] = '12355'
    dist.init_process_group("nccl", rank=rank, world_size=world_size)


def cleanup():
    dist.destroy_process_group()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1),  # expect: BN204
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(128, 10)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def train(rank, world_size):
    print(f"hello from rank {rank}")
    setup(rank, world_size)
    torch.cuda.set_device(rank)

    model = Net().to(rank)
    model = DDP(model, device_ids=[rank])
    # sync bn so all gpus share the statistics
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    transform = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor()])
    trainset = torchvision.datasets.CIFAR10('./data', train=True, download=False, transform=transform)
    testset = torchvision.datasets.CIFAR10('./data', train=False, download=False, transform=T.ToTensor())
    sampler = DistributedSampler(trainset, num_replicas=world_size, rank=rank, shuffle=True)
    loader = DataLoader(trainset, batch_size=32, sampler=sampler, num_workers=4, pin_memory=True)
    testloader = DataLoader(testset, batch_size=500, shuffle=False)

    criterion = nn.CrossEntropyLoss().to(rank)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)

    for epoch in range(EPOCHS):
        model.train()
        sampler.set_epoch(epoch)
        total_loss = 0.0
        for x, y in loader:
            x, y = x.to(rank, non_blocking=True), y.to(rank, non_blocking=True)
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        scheduler.step()

        if rank == 0:
            correct = 0
            with torch.no_grad():
                for x, y in testloader:
                    x, y = x.to(rank), y.to(rank)
                    out = model(x)  # expect: BN101
                    correct += (out.argmax(dim=1) == y).sum().item()
            print(f"epoch {epoch} loss {total_loss / len(loader):.3f} test acc {correct / len(testset):.4f}")
        dist.barrier()

    if rank == 0:
        torch.save(model.module.state_dict(), 'cifar_ddp.pth')
    cleanup()


if __name__ == '__main__':
    print("gpus:", torch.cuda.device_count())
    mp.spawn(train, args=(WORLD_SIZE,), nprocs=WORLD_SIZE, join=True)
