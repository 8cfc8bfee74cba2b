"""PointNet part segmentation (ShapeNet-Part), multi-GPU, ported from the TF tower code.

The TF version averaged BN statistics across towers. Here BatchNorm layers are
converted to SyncBatchNorm *before* the model is wrapped in DDP.
Launch: torchrun --nproc_per_node=4 clean_12.py
"""
import os

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

NUM_POINT = 2048
NUM_PARTS = 50
NUM_CATEGORIES = 16
BATCH_PER_GPU = 16
EPOCHS = 200


def shared_mlp(widths):
    layers = []
    for cin, cout in zip(widths[:-1], widths[1:]):
        layers += [nn.Conv1d(cin, cout, 1, bias=False), nn.BatchNorm1d(cout), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class PointNetPartSeg(nn.Module):
    def __init__(self):
        super().__init__()
        self.local1 = shared_mlp([3, 64, 128, 128])
        self.local2 = shared_mlp([128, 512, 2048])
        # per-point features (128 + 128 + 512 + 2048) + global (2048) + one-hot category (16)
        seg_in = 128 + 128 + 512 + 2048 + 2048 + NUM_CATEGORIES
        self.seg_head = nn.Sequential(
            nn.Conv1d(seg_in, 256, 1, bias=False), nn.BatchNorm1d(256), nn.ReLU(inplace=True),
            nn.Dropout(0.2),
            nn.Conv1d(256, 256, 1, bias=False), nn.BatchNorm1d(256), nn.ReLU(inplace=True),
            nn.Conv1d(256, 128, 1, bias=False), nn.BatchNorm1d(128), nn.ReLU(inplace=True),
            nn.Conv1d(128, NUM_PARTS, 1),
        )

    def forward(self, pts, category):                      # pts: (B, 3, N), category: (B,)
        feats = []
        x = pts
        for layer in list(self.local1) + list(self.local2):
            x = layer(x)
            if isinstance(layer, nn.ReLU):
                feats.append(x)                            # widths: 64, 128, 128, 512, 2048
        n = pts.size(2)
        glob = x.max(dim=2, keepdim=True)[0]
        onehot = F.one_hot(category, NUM_CATEGORIES).float().unsqueeze(2).expand(-1, -1, n)
        point_feats = torch.cat([feats[1], feats[2], feats[3], feats[4], glob.expand(-1, -1, n), onehot], 1)
        return self.seg_head(point_feats)


class ShapeNetPart(Dataset):
    def __init__(self, root, split):
        blob = np.load(os.path.join(root, f"{split}.npz"))
        self.points, self.labels, self.cats = blob["points"], blob["labels"], blob["category"]

    def __len__(self):
        return len(self.cats)

    def __getitem__(self, i):
        idx = np.random.choice(self.points.shape[1], NUM_POINT, replace=False)
        pts = torch.from_numpy(self.points[i, idx]).float().t()
        return pts, torch.tensor(int(self.cats[i])), torch.from_numpy(self.labels[i, idx]).long()


def main():
    dist.init_process_group("nccl")
    rank, local_rank = dist.get_rank(), int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)

    train_set = ShapeNetPart("shapenet_part", "train")
    sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
    loader = DataLoader(train_set, batch_size=BATCH_PER_GPU, sampler=sampler, num_workers=4,
                        drop_last=True)
    test_loader = DataLoader(ShapeNetPart("shapenet_part", "test"), batch_size=32)

    model = PointNetPartSeg()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = DDP(model.cuda(local_rank), device_ids=[local_rank])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.5)

    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        model.train()
        for pts, cat, seg in loader:
            pts, cat, seg = pts.cuda(local_rank), cat.cuda(local_rank), seg.cuda(local_rank)
            loss = F.cross_entropy(model(pts, cat), seg)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()

        if rank == 0 and epoch % 10 == 9:
            model.eval()                          # no_grad forward: DDP does no collective here
            hits = total = 0
            with torch.no_grad():
                for pts, cat, seg in test_loader:
                    pred = model(pts.cuda(local_rank), cat.cuda(local_rank)).argmax(1).cpu()
                    hits += (pred == seg).sum().item()
                    total += seg.numel()
            print(f"epoch {epoch}: point accuracy {hits / total:.4f}")
        dist.barrier()

    if rank == 0:
        torch.save(model.module.state_dict(), "pointnet_partseg.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
