# A: "convert_sync_batchnorm has to be applied to the plain model *before* wrapping
# it in DDP. DDP registers the module's parameters/buffers and hooks at construction
# time; converting afterwards swaps modules behind its back. Order:
#     model = build(); model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
#     model = model.to(device); model = DDP(model, device_ids=[local_rank])"
#
# Fixed script (torchrun --nproc_per_node=4 train_ddp.py --data /datasets/imagenette):

import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, models, transforms


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--batch-size", type=int, default=32, help="per GPU")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--num-classes", type=int, default=10)
    return parser.parse_args()


def setup():
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    return local_rank


def build_loaders(root, batch_size):
    normalize = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    train_set = datasets.ImageFolder(os.path.join(root, "train"), transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize]))
    val_set = datasets.ImageFolder(os.path.join(root, "val"), transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalize]))
    train_sampler = DistributedSampler(train_set, shuffle=True)
    val_sampler = DistributedSampler(val_set, shuffle=False)
    train_loader = DataLoader(train_set, batch_size=batch_size, sampler=train_sampler, num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=batch_size, sampler=val_sampler, num_workers=8, pin_memory=True)
    return train_loader, val_loader, train_sampler


def main():
    args = parse_args()
    local_rank = setup()
    rank = dist.get_rank()
    device = torch.device("cuda", local_rank)

    train_loader, val_loader, train_sampler = build_loaders(args.data, args.batch_size)

    model = models.resnet34(num_classes=args.num_classes)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    model = DDP(model, device_ids=[local_rank], output_device=local_rank)

    criterion = nn.CrossEntropyLoss().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for images, target in train_loader:
            images = images.to(device, non_blocking=True)
            target = target.to(device, non_blocking=True)
            loss = criterion(model(images), target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()

        model.eval()
        correct = torch.zeros(1, device=device)
        total = torch.zeros(1, device=device)
        with torch.no_grad():
            for images, target in val_loader:
                images, target = images.to(device), target.to(device)
                pred = model(images).argmax(dim=1)
                correct += (pred == target).sum()
                total += target.numel()
        dist.all_reduce(correct)
        dist.all_reduce(total)
        if rank == 0:
            print(f"epoch {epoch}: val acc {(correct / total).item():.4f}")
            torch.save(model.module.state_dict(), f"resnet34_ep{epoch}.pth")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
