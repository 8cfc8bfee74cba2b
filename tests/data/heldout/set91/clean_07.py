"""Distributed GIN with virtual node on molecular graphs (PyG), SyncBatchNorm.

    torchrun --nproc_per_node=8 clean_07.py --root data/molpcba
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data.distributed import DistributedSampler
from torch_geometric.datasets import MoleculeNet
from torch_geometric.loader import DataLoader
from torch_geometric.nn import GINConv, global_mean_pool


def gin_mlp(dim):
    return nn.Sequential(
        nn.Linear(dim, 2 * dim, bias=False),
        nn.BatchNorm1d(2 * dim),
        nn.ReLU(),
        nn.Linear(2 * dim, dim, bias=False),
    )


class GINVirtual(nn.Module):
    def __init__(self, in_dim, out_dim, dim=256, layers=4):
        super().__init__()
        self.encoder = nn.Linear(in_dim, dim)
        self.convs = nn.ModuleList(GINConv(gin_mlp(dim), train_eps=True) for _ in range(layers))
        self.norms = nn.ModuleList(nn.BatchNorm1d(dim) for _ in range(layers))
        self.vn_mlps = nn.ModuleList(
            nn.Sequential(nn.Linear(dim, dim, bias=False), nn.BatchNorm1d(dim), nn.ReLU())
            for _ in range(layers - 1))
        self.head = nn.Linear(dim, out_dim)

    def forward(self, x, edge_index, batch):
        h = self.encoder(x.float())
        vn = torch.zeros(int(batch.max()) + 1, h.size(1), device=h.device)
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            h = h + vn[batch]
            h = F.relu(norm(conv(h, edge_index)))   # node features (num_nodes, dim)
            if i < len(self.vn_mlps):
                vn = vn + self.vn_mlps[i](global_mean_pool(h, batch))  # (num_graphs, dim)
        return self.head(global_mean_pool(h, batch))


def masked_bce(logits, y):
    mask = ~torch.isnan(y)
    return F.binary_cross_entropy_with_logits(logits[mask], y[mask])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/molpcba")
    ap.add_argument("--batch-size", type=int, default=32, help="graphs per GPU")
    ap.add_argument("--epochs", type=int, default=100)
    args = ap.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    is_main = dist.get_rank() == 0

    ds = MoleculeNet(args.root, name="PCBA")
    n_train = int(0.8 * len(ds))
    train_ds, val_ds = ds[:n_train], ds[n_train:]
    sampler = DistributedSampler(train_ds, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=sampler, num_workers=4, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256)

    model = GINVirtual(ds.num_features, ds.num_classes)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model).cuda()
    model = DDP(model, device_ids=[local_rank])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for data in train_loader:
            data = data.cuda(non_blocking=True)
            loss = masked_bce(model(data.x, data.edge_index, data.batch), data.y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        if is_main:
            model.eval()
            net = model.module  # skip DDP's forward hooks on the single-rank validation pass
            tot, n = 0.0, 0
            with torch.no_grad():
                for data in val_loader:
                    data = data.cuda()
                    tot += masked_bce(net(data.x, data.edge_index, data.batch), data.y).item()
                    n += 1
            print(f"epoch {epoch}: val bce {tot / max(n, 1):.4f}")
            torch.save(net.state_dict(), "gin_vn_pcba.pt")
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
