"""GIN for molecular property classification (ogbg-molhiv-like), distributed.

    torchrun --nproc_per_node=4 bug_09.py
"""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch_geometric.datasets import TUDataset
from torch_geometric.loader import DataLoader
from torch_geometric.nn import MessagePassing, global_add_pool
from torch.utils.data.distributed import DistributedSampler

HIDDEN = 300
NUM_LAYERS = 5
BATCH_SIZE = 32  # graphs per GPU
EPOCHS = 100


class GINConv(MessagePassing):
    def __init__(self, dim):
        super().__init__(aggr="add")
        self.eps = nn.Parameter(torch.zeros(1))
        self.mlp = nn.Sequential(
            nn.Linear(dim, 2 * dim, bias=False),
            nn.BatchNorm1d(2 * dim),
            nn.ReLU(),
            nn.Linear(2 * dim, dim, bias=False),  # outer BatchNorm follows
        )

    def forward(self, x, edge_index):
        out = self.propagate(edge_index, x=x)
        return self.mlp((1 + self.eps) * x + out)

    def message(self, x_j):
        return F.relu(x_j)


class GIN(nn.Module):
    def __init__(self, in_dim, num_tasks, hidden=HIDDEN, num_layers=NUM_LAYERS, drop=0.5):
        super().__init__()
        self.atom_encoder = nn.Linear(in_dim, hidden)
        self.convs = nn.ModuleList([GINConv(hidden) for _ in range(num_layers)])
        self.norms = nn.ModuleList([nn.BatchNorm1d(hidden) for _ in range(num_layers)])
        self.readout = nn.Sequential(
            nn.Linear(HIDDEN, 2 * HIDDEN, bias=False),
            nn.BatchNorm1d(HIDDEN),  # expect: BN201
            nn.ReLU(),
            nn.Dropout(drop),
            nn.Linear(2 * HIDDEN, num_tasks),
        )
        self.drop = drop

    def forward(self, x, edge_index, batch):
        h = self.atom_encoder(x)
        for conv, norm in zip(self.convs, self.norms):
            h = norm(conv(h, edge_index))          # (num_nodes, hidden)
            h = F.dropout(F.relu(h), self.drop, self.training)
        return self.readout(global_add_pool(h, batch))


def setup():
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    return local_rank


def main():
    local_rank = setup()
    dataset = TUDataset(root="data/TU", name="PROTEINS").shuffle()
    split = int(0.9 * len(dataset))
    train_ds = dataset[:split]
    sampler = DistributedSampler(train_ds)
    loader = DataLoader(train_ds, batch_size=BATCH_SIZE, sampler=sampler, drop_last=True)

    model = GIN(dataset.num_features, dataset.num_classes).cuda()
    model = nn.parallel.DistributedDataParallel(model, device_ids=[local_rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        model.train()
        for data in loader:
            data = data.cuda(non_blocking=True)
            out = model(data.x, data.edge_index, data.batch)
            loss = F.cross_entropy(out, data.y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if dist.get_rank() == 0 and epoch % 10 == 0:
            print(f"epoch {epoch}: loss {loss.item():.4f}")
            torch.save(model.module.state_dict(), "gin_proteins.pt")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
