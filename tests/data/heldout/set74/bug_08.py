"""Data-parallel training of a keypoint regressor on 8 GPUs (torchrun --nproc_per_node 8)."""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

GLOBAL_BATCH_SIZE = 32
NUM_GPUS = 8
PER_GPU_BATCH = GLOBAL_BATCH_SIZE // NUM_GPUS
NUM_KEYPOINTS = 17
INPUT_SIZE = 128
EPOCHS = 40
BASE_LR = 1e-3


class KeypointDataset(Dataset):
    def __init__(self, n=12800):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(idx)
        img = torch.rand(3, INPUT_SIZE, INPUT_SIZE, generator=g)
        kps = torch.rand(NUM_KEYPOINTS, 2, generator=g)
        return img, kps.flatten()


class KeypointNet(nn.Module):
    def __init__(self):
        super().__init__()
        chans = [3, 32, 64, 128, 256]
        stages = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            stages.append(
                nn.Sequential(
                    nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
                    nn.BatchNorm2d(cout),
                    nn.ReLU(inplace=True),
                )
            )
        self.encoder = nn.Sequential(*stages)
        self.regressor = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(256, NUM_KEYPOINTS * 2),
        )

    def forward(self, x):
        return self.regressor(self.encoder(x))


def setup():
    dist.init_process_group("nccl")
    rank = dist.get_rank()
    world_size = dist.get_world_size()
    assert world_size == NUM_GPUS, f"expected {NUM_GPUS} processes, got {world_size}"
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    torch.cuda.set_device(local_rank)
    return rank, local_rank


def main():
    rank, local_rank = setup()
    dataset = KeypointDataset()
    sampler = DistributedSampler(dataset, shuffle=True)
    loader = DataLoader(dataset, batch_size=PER_GPU_BATCH, sampler=sampler, num_workers=4, drop_last=True)  # expect: BN304

    model = KeypointNet().cuda(local_rank)
    model = DistributedDataParallel(model, device_ids=[local_rank])
    optimizer = torch.optim.AdamW(model.parameters(), lr=BASE_LR * GLOBAL_BATCH_SIZE / 256)
    criterion = nn.SmoothL1Loss()

    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        model.train()
        total = torch.zeros(1, device=local_rank)
        for images, targets in loader:
            images = images.cuda(local_rank, non_blocking=True)
            targets = targets.cuda(local_rank, non_blocking=True)
            loss = criterion(model(images), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach()
        dist.all_reduce(total)
        if rank == 0:
            print(f"epoch {epoch}: mean loss {total.item() / (len(loader) * NUM_GPUS):.5f}")

    if rank == 0:
        torch.save(model.module.state_dict(), "keypoints.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
