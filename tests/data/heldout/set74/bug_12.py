"""Distributed speech-command classifier on log-mel features.

Launch: torchrun --nproc_per_node=$NGPU bug_12.py
Tunables come from the environment so the cluster launcher can set them.
"""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

PER_DEVICE_BATCH = int(os.environ.get("PER_DEVICE_BATCH", "2"))
EPOCHS = int(os.environ.get("EPOCHS", "20"))
LR = float(os.environ.get("LR", "5e-4"))
N_MELS = 40
FRAMES = 101
NUM_WORDS = 12


class KWSNet(nn.Module):
    """Depthwise-separable CNN over (mel, time)."""

    def __init__(self, num_classes=NUM_WORDS, width=64):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, width, (10, 4), stride=(2, 2), padding=(5, 1), bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        )
        blocks = []
        for _ in range(4):
            blocks += [
                nn.Conv2d(width, width, 3, padding=1, groups=width, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(),
                nn.Conv2d(width, width, 1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(),
            ]
        self.blocks = nn.Sequential(*blocks)
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.classifier(x.mean(dim=(2, 3)))


def fake_features(n, seed):
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(n, 1, N_MELS, FRAMES, generator=g)
    labels = torch.randint(0, NUM_WORDS, (n,), generator=g)
    feats[torch.arange(n), 0, labels * 3] += 2.0
    return TensorDataset(feats, labels)


def main():
    dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")

    train_set = fake_features(8000, seed=0)
    sampler = DistributedSampler(train_set, shuffle=True)
    loader = DataLoader(train_set, batch_size=PER_DEVICE_BATCH, sampler=sampler, num_workers=2)  # expect: BN304

    model = KWSNet().to(device)
    model = DDP(model, device_ids=[local_rank] if device.type == "cuda" else None)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)

    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        model.train()
        for feats, labels in loader:
            feats, labels = feats.to(device), labels.to(device)
            loss = F.cross_entropy(model(feats), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if rank == 0:
            print(f"epoch {epoch}: loss {loss.item():.4f}")

    if rank == 0:
        torch.save(model.module.state_dict(), "kws.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
