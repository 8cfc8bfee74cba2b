"""torchrun --nproc_per_node=4 train.py --data /data/btcv"""
import argparse
import glob
import os

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

from models import ResUNet3d
from trainer import SegTrainer


class PatchDataset(Dataset):
    """Pre-extracted (image, label) patches stored as .npz files."""

    def __init__(self, root, split, patch=(96, 96, 96), augment=False):
        self.files = sorted(glob.glob(os.path.join(root, split, "*.npz")))
        self.patch = patch
        self.augment = augment

    def __len__(self):
        return len(self.files)

    def __getitem__(self, idx):
        data = np.load(self.files[idx])
        image = data["image"].astype(np.float32)
        label = data["label"].astype(np.int64)
        if self.augment:
            for axis in range(3):
                if np.random.rand() < 0.5:
                    image = np.flip(image, axis)
                    label = np.flip(label, axis)
            image = image * np.random.uniform(0.9, 1.1) + np.random.uniform(-0.1, 0.1)
        image = np.ascontiguousarray(image)[None]
        return torch.from_numpy(image), torch.from_numpy(np.ascontiguousarray(label))


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/data/btcv")
    p.add_argument("--out", default="runs/resunet3d")
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=4, help="patches per GPU")
    p.add_argument("--accum-steps", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--num-classes", type=int, default=14)
    p.add_argument("--workers", type=int, default=6)
    return p.parse_args()


def main():
    args = get_args()
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    train_set = PatchDataset(args.data, "train", augment=True)
    val_set = PatchDataset(args.data, "val")
    train_loader = DataLoader(train_set, batch_size=args.batch_size,  # expect: BN304
                              sampler=DistributedSampler(train_set, shuffle=True),
                              num_workers=args.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=1,
                            sampler=DistributedSampler(val_set, shuffle=False),
                            num_workers=2)

    model = ResUNet3d(num_classes=args.num_classes).to(device)
    model = DistributedDataParallel(model, device_ids=[local_rank])

    trainer = SegTrainer(model, train_loader, val_loader,
                         num_classes=args.num_classes, epochs=args.epochs, lr=args.lr,
                         accum_steps=args.accum_steps, out_dir=args.out, device=device)
    best_epoch, best_dice = trainer.fit()
    if dist.get_rank() == 0:
        print(f"best mean dice {best_dice:.4f} at epoch {best_epoch}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
