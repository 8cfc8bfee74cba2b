"""Entry point:  torchrun --nproc_per_node=8 train.py --epochs 90"""
import os

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

from config import check_config, describe, parse_config
from models import build_model
from trainer import DDPTrainer

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def build_datasets(cfg):
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(cfg["image_size"]),
        transforms.RandomHorizontalFlip(),
        transforms.ColorJitter(0.4, 0.4, 0.4),
        transforms.ToTensor(),
        transforms.Normalize(MEAN, STD),
    ])
    val_tf = transforms.Compose([
        transforms.Resize(cfg["val_resize"]),
        transforms.CenterCrop(cfg["image_size"]),
        transforms.ToTensor(),
        transforms.Normalize(MEAN, STD),
    ])
    train = datasets.ImageFolder(os.path.join(cfg["data_root"], "train"), train_tf)
    val = datasets.ImageFolder(os.path.join(cfg["data_root"], "val"), val_tf)
    return train, val


def build_loaders(cfg, train_set, val_set):
    train_sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
    val_sampler = DistributedSampler(val_set, shuffle=False)
    train_loader = DataLoader(train_set, batch_size=cfg["batch_size_per_gpu"],
                              sampler=train_sampler, num_workers=cfg["workers"],
                              pin_memory=True, drop_last=True, persistent_workers=True)
    val_loader = DataLoader(val_set, batch_size=cfg["batch_size_per_gpu"] * 2,
                            sampler=val_sampler, num_workers=cfg["workers"], pin_memory=True)
    return {"train": train_loader, "val": val_loader}


def log_environment(world_size):
    if dist.get_rank() != 0:
        return
    print(f"torch {torch.__version__}, cuda {torch.version.cuda}, "
          f"cudnn {torch.backends.cudnn.version()}")
    print(f"world size {world_size}, devices:")
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        print(f"  [{i}] {props.name} {props.total_memory / 2**30:.1f} GiB")


def setup():
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    return local_rank, dist.get_world_size()


def main():
    cfg = check_config(parse_config())
    local_rank, world_size = setup()
    log_environment(world_size)
    if dist.get_rank() == 0:
        print(describe(cfg))
    torch.backends.cudnn.benchmark = True
    train_set, val_set = build_datasets(cfg)
    loaders = build_loaders(cfg, train_set, val_set)
    model = build_model(cfg["arch"], cfg["num_classes"])
    trainer = DDPTrainer(model, loaders, cfg, local_rank, world_size)
    best = trainer.fit()
    if dist.get_rank() == 0:
        print(f"finished, best top-1 {best:.4f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
