"""torchrun --nproc_per_node=4 train.py"""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

from config import DATA, MODEL, TRAIN
from model import FineGrainedNet


def make_loaders(world_size, rank):
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    size = DATA["img_size"]
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(size, scale=(0.35, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), norm,
    ])
    test_tf = transforms.Compose([
        transforms.Resize(int(size / 0.875)), transforms.CenterCrop(size), transforms.ToTensor(), norm,
    ])
    train_ds = datasets.ImageFolder(os.path.join(DATA["root"], "train"), train_tf)
    test_ds = datasets.ImageFolder(os.path.join(DATA["root"], "test"), test_tf)
    train_sampler = DistributedSampler(train_ds, num_replicas=world_size, rank=rank, shuffle=True)
    test_sampler = DistributedSampler(test_ds, num_replicas=world_size, rank=rank, shuffle=False)
    train_loader = DataLoader(train_ds, batch_size=TRAIN["batch_size_per_gpu"], sampler=train_sampler,
                              num_workers=DATA["num_workers"], pin_memory=True, drop_last=True)
    test_loader = DataLoader(test_ds, batch_size=64, sampler=test_sampler,
                             num_workers=DATA["num_workers"], pin_memory=True)
    return train_loader, test_loader, train_sampler


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = torch.zeros(1, device=device)
    count = torch.zeros(1, device=device)
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        correct += (model(x).argmax(1) == y).sum()
        count += y.numel()
    dist.all_reduce(correct)
    dist.all_reduce(count)
    return (correct / count).item()


def main():
    dist.init_process_group(backend="nccl")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    train_loader, test_loader, train_sampler = make_loaders(world_size, rank)

    model = FineGrainedNet(**MODEL).to(device)
    model = DDP(model, device_ids=[local_rank], output_device=local_rank)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    optimizer = torch.optim.SGD(model.module.param_groups(TRAIN["base_lr"], TRAIN["backbone_lr_mult"]),
                                momentum=TRAIN["momentum"], weight_decay=TRAIN["weight_decay"], nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=TRAIN["epochs"])

    if rank == 0:
        os.makedirs(TRAIN["out_dir"], exist_ok=True)
    best = 0.0
    for epoch in range(TRAIN["epochs"]):
        train_sampler.set_epoch(epoch)
        model.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y, label_smoothing=TRAIN["label_smoothing"])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()

        if (epoch + 1) % TRAIN["eval_every"] == 0:
            acc = evaluate(model, test_loader, device)
            if rank == 0:
                print(f"epoch {epoch + 1}: top-1 {acc:.4f}")
                if acc > best:
                    best = acc
                    torch.save(model.module.state_dict(), os.path.join(TRAIN["out_dir"], "best.pth"))

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
