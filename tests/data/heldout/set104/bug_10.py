"""Keypoint heatmap regression, multi-node DDP (torchrun), exports ONNX at the end.

Launch (2 nodes x 8 GPUs):
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint $MASTER:29400 train_pose.py
"""
import argparse
import json
import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset, DistributedSampler


class HeatmapDataset(Dataset):
    def __init__(self, ann_file, img_size=256, n_joints=17):
        with open(ann_file) as f:
            self.items = json.load(f)
        self.img_size = img_size
        self.n_joints = n_joints

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        item = self.items[idx]
        img = torch.load(item["tensor_path"])             # (3, 256, 256) preprocessed
        heatmaps = torch.load(item["heatmap_path"])       # (17, 64, 64)
        return img, heatmaps


class SimpleBaseline(nn.Module):
    def __init__(self, n_joints=17):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(128)
        self.conv3 = nn.Conv2d(128, 256, 3, stride=1, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128)  # expect: BN201
        self.relu = nn.ReLU(inplace=True)
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(256, 256, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(256, 256, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
        )
        self.final = nn.Conv2d(256, n_joints, 1)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        x = self.relu(self.bn3(self.conv3(x)))
        x = nn.functional.max_pool2d(x, 2)
        return self.final(self.deconv(x))


def evaluate(model, loader, device):
    model.eval()
    total, n = torch.zeros(1, device=device), torch.zeros(1, device=device)
    with torch.no_grad():
        for img, hm in loader:
            pred = model(img.to(device))
            total += ((pred - hm.to(device)) ** 2).mean(dim=(1, 2, 3)).sum()
            n += img.size(0)
    dist.all_reduce(total)
    dist.all_reduce(n)
    model.train()
    return (total / n).item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-ann", default="data/coco_train.json")
    parser.add_argument("--val-ann", default="data/coco_val.json")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=140)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--onnx", default="pose_resnet.onnx")
    args = parser.parse_args()

    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    global_rank = int(os.environ["RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    train_ds = HeatmapDataset(args.train_ann)
    val_ds = HeatmapDataset(args.val_ann)
    train_sampler = DistributedSampler(train_ds)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=train_sampler, num_workers=6, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=args.batch_size, sampler=DistributedSampler(val_ds, shuffle=False), num_workers=6)

    model = SimpleBaseline().cuda(local_rank)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = DDP(model, device_ids=[local_rank])
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[90, 120], gamma=0.1)
    criterion = nn.MSELoss()

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for img, hm in train_loader:
            img, hm = img.to(device, non_blocking=True), hm.to(device, non_blocking=True)
            loss = criterion(model(img), hm)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        if epoch % 10 == 0 or epoch == args.epochs - 1:
            val_mse = evaluate(model, val_loader, device)
            if global_rank == 0:
                print(f"epoch {epoch}: val mse {val_mse:.6f}")
                torch.save(model.module.state_dict(), f"pose_e{epoch}.pth")

    if global_rank == 0:
        dummy = torch.randn(1, 3, 256, 256, device=device)
        torch.onnx.export(model.module, dummy, args.onnx, input_names=["image"], output_names=["heatmaps"], opset_version=17)  # expect: BN104
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
