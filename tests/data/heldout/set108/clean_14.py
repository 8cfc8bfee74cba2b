"""Multi-GPU MNIST with DistributedDataParallel and SyncBatchNorm.

Combines pytorch/examples/mnist with the DDP tutorial. Run with
    python mnist_ddp.py --world-size 4
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, 1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, 1, bias=False),
            nn.SyncBatchNorm(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Dropout(0.25),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(9216, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return F.log_softmax(self.classifier(self.features(x)), dim=1)


def setup(rank, world_size):
    os.environ.setdefault('MASTER_ADDR', 'localhost')
    os.environ.setdefault('MASTER_PORT', '12355')
    dist.init_process_group("nccl", rank=rank, world_size=world_size)
    torch.cuda.set_device(rank)


def cleanup():
    dist.destroy_process_group()


def train(args, model, rank, train_loader, optimizer, epoch):
    model.train()
    train_loader.sampler.set_epoch(epoch)
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(rank), target.to(rank)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if rank == 0 and batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{}]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data) * args.world_size, len(train_loader.dataset), loss.item()))


def test(model, rank, test_loader):
    model.eval()
    stats = torch.zeros(3, device=rank)
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(rank), target.to(rank)
            output = model(data)
            stats[0] += F.nll_loss(output, target, reduction='sum')
            stats[1] += output.argmax(dim=1).eq(target).sum()
            stats[2] += target.numel()
    dist.all_reduce(stats)
    if rank == 0:
        print('\nTest set: Average loss: {:.4f}, Accuracy: {:.2f}%\n'.format(
            stats[0].item() / stats[2].item(), 100.0 * stats[1].item() / stats[2].item()))


def run(rank, args):
    setup(rank, args.world_size)
    torch.manual_seed(args.seed)

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    if rank == 0:
        datasets.MNIST('../data', train=True, download=True)
    dist.barrier()
    dataset1 = datasets.MNIST('../data', train=True, transform=transform)
    dataset2 = datasets.MNIST('../data', train=False, transform=transform)

    train_sampler = DistributedSampler(dataset1, num_replicas=args.world_size, rank=rank, shuffle=True)
    test_sampler = DistributedSampler(dataset2, num_replicas=args.world_size, rank=rank, shuffle=False)
    train_loader = DataLoader(dataset1, batch_size=args.batch_size, sampler=train_sampler, num_workers=2, pin_memory=True)
    test_loader = DataLoader(dataset2, batch_size=args.test_batch_size, sampler=test_sampler, num_workers=2, pin_memory=True)

    model = Net()
    # convert the remaining BatchNorm layers before wrapping with DDP
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(rank)
    model = DDP(model, device_ids=[rank])

    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, rank, train_loader, optimizer, epoch)
        test(model, rank, test_loader)
        scheduler.step()

    if rank == 0 and args.save_model:
        torch.save(model.module.state_dict(), "mnist_ddp_syncbn.pt")
    cleanup()


def main():
    parser = argparse.ArgumentParser(description='PyTorch MNIST DDP + SyncBN')
    parser.add_argument('--batch-size', type=int, default=64, help='per-GPU batch size')
    parser.add_argument('--test-batch-size', type=int, default=1000)
    parser.add_argument('--epochs', type=int, default=14)
    parser.add_argument('--lr', type=float, default=1.0)
    parser.add_argument('--gamma', type=float, default=0.7)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--log-interval', type=int, default=10)
    parser.add_argument('--save-model', action='store_true', default=False)
    parser.add_argument('--world-size', type=int, default=torch.cuda.device_count())
    args = parser.parse_args()
    mp.spawn(run, args=(args,), nprocs=args.world_size, join=True)


if __name__ == '__main__':
    main()
