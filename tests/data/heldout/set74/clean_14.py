"""DDP training of a point-cloud classifier (PointNet-style) with a large per-GPU batch."""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

NUM_POINTS = 1024
NUM_SHAPES = 40


class PointNet(nn.Module):
    def __init__(self, num_classes=NUM_SHAPES):
        super().__init__()
        self.mlp1 = nn.Sequential(
            nn.Conv1d(3, 64, 1, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Conv1d(64, 128, 1, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Conv1d(128, 1024, 1, bias=False),
            nn.BatchNorm1d(1024),
            nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Linear(1024, 512, bias=False),
            nn.BatchNorm1d(512),
            nn.ReLU(),
            nn.Dropout(0.4),
            nn.Linear(512, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, num_classes),
        )

    def forward(self, points):
        x = self.mlp1(points.transpose(1, 2))
        return self.head(x.amax(dim=2))


def sample_shape(index):
    g = torch.Generator().manual_seed(index)
    label = index % NUM_SHAPES
    pts = torch.randn(NUM_POINTS, 3, generator=g)
    pts = pts / pts.norm(dim=1, keepdim=True)
    scale = torch.tensor([1.0 + label / 10.0, 1.0, 1.0 - label / 80.0])
    return pts * scale, label


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=32, help="per-GPU batch size")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--num-train", type=int, default=9843)
    args = parser.parse_args()

    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)

    shapes = [sample_shape(i) for i in range(args.num_train)]
    sampler = DistributedSampler(shapes, shuffle=True)
    loader = DataLoader(shapes, batch_size=args.batch_size, sampler=sampler, num_workers=4, drop_last=True)

    model = DDP(PointNet().cuda(local_rank), device_ids=[local_rank])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3 * dist.get_world_size())
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.7)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        correct = torch.zeros(2, device=local_rank)
        for points, labels in loader:
            points = points.cuda(local_rank, non_blocking=True)
            labels = labels.cuda(local_rank, non_blocking=True)
            logits = model(points)
            loss = F.cross_entropy(logits, labels, label_smoothing=0.2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            correct[0] += (logits.argmax(1) == labels).sum()
            correct[1] += labels.numel()
        scheduler.step()
        dist.all_reduce(correct)
        if rank == 0:
            print(f"epoch {epoch}: loss {loss.item():.3f} train acc {(correct[0] / correct[1]).item():.3f}")

    if rank == 0:
        torch.save(model.module.state_dict(), "pointnet.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
