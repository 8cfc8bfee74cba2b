"""Graph isomorphism network (GIN) for molecular toxicity prediction.

Graphs are batched PyG-style: node features of all graphs are concatenated into
one (num_nodes, F) matrix, `edge_index` is (2, num_edges) and `batch` maps each
node to its graph, so BatchNorm1d runs over (num_nodes, hidden) rows.
"""
from __future__ import annotations

import argparse
import json
from typing import Dict, List

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

ATOM_FEATURES = 39
NUM_TASKS = 12
HIDDEN = 300
NUM_LAYERS = 5


class MoleculeGraphs(Dataset):
    def __init__(self, path: str):
        with open(path) as fh:
            self.graphs = [json.loads(line) for line in fh]

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, idx: int) -> Dict:
        g = self.graphs[idx]
        return {
            "x": torch.tensor(g["node_feat"], dtype=torch.float32),
            "edge_index": torch.tensor(g["edge_index"], dtype=torch.long),
            "y": torch.tensor(g["labels"], dtype=torch.float32),  # NaN = missing label
        }


def collate_graphs(items: List[Dict]) -> Dict[str, torch.Tensor]:
    xs, edges, batch, ys, offset = [], [], [], [], 0
    for i, it in enumerate(items):
        n = it["x"].shape[0]
        xs.append(it["x"])
        edges.append(it["edge_index"] + offset)
        batch.append(torch.full((n,), i, dtype=torch.long))
        ys.append(it["y"])
        offset += n
    return {"x": torch.cat(xs), "edge_index": torch.cat(edges, dim=1),
            "batch": torch.cat(batch), "y": torch.stack(ys), "num_graphs": len(items)}


class GINConv(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.eps = nn.Parameter(torch.zeros(1))
        self.mlp = nn.Sequential(
            nn.Linear(dim, 2 * dim, bias=False),
            nn.BatchNorm1d(2 * dim, momentum=0.9),  # expect: BN205
            nn.ReLU(inplace=True),
            nn.Linear(2 * dim, dim, bias=False),
        )

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        src, dst = edge_index
        agg = torch.zeros_like(x).index_add_(0, dst, x[src])
        return self.mlp((1 + self.eps) * x + agg)


class GIN(nn.Module):
    def __init__(self, in_dim: int = ATOM_FEATURES, hidden: int = HIDDEN,
                 num_layers: int = NUM_LAYERS, num_tasks: int = NUM_TASKS, dropout: float = 0.5):
        super().__init__()
        self.encoder = nn.Linear(in_dim, hidden)
        self.convs = nn.ModuleList([GINConv(hidden) for _ in range(num_layers)])
        self.norms = nn.ModuleList([nn.BatchNorm1d(hidden) for _ in range(num_layers)])
        self.dropout = dropout
        self.readout = nn.Linear(hidden, num_tasks)

    def forward(self, x, edge_index, batch, num_graphs):
        h = self.encoder(x)
        for conv, norm in zip(self.convs, self.norms):
            h = F.dropout(F.relu(norm(conv(h, edge_index))), self.dropout, self.training)
        pooled = torch.zeros(num_graphs, h.shape[1], device=h.device).index_add_(0, batch, h)
        counts = torch.bincount(batch, minlength=num_graphs).clamp_min(1).unsqueeze(1)
        return self.readout(pooled / counts)


def masked_bce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    mask = ~torch.isnan(y)
    return F.binary_cross_entropy_with_logits(logits[mask], y[mask])


def run_batch(model: nn.Module, b: Dict, device: str) -> torch.Tensor:
    return model(b["x"].to(device), b["edge_index"].to(device), b["batch"].to(device), b["num_graphs"])


def mean_task_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    aucs = []
    for t in range(labels.shape[1]):
        m = ~torch.isnan(labels[:, t])
        pos, neg = scores[m, t][labels[m, t] == 1], scores[m, t][labels[m, t] == 0]
        if len(pos) and len(neg):
            aucs.append((pos[:, None] > neg[None, :]).float().mean().item())
    return sum(aucs) / max(len(aucs), 1)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="data/tox21_train.jsonl")
    p.add_argument("--test", default="data/tox21_test.jsonl")
    p.add_argument("--epochs", type=int, default=100)
    args = p.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader = DataLoader(MoleculeGraphs(args.train), batch_size=128, shuffle=True, collate_fn=collate_graphs, drop_last=True)
    test_loader = DataLoader(MoleculeGraphs(args.test), batch_size=512, collate_fn=collate_graphs)
    model = GIN().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    model.train()
    for epoch in range(args.epochs):
        total = 0.0
        for b in train_loader:
            loss = masked_bce(run_batch(model, b, device), b["y"].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        if epoch % 10 == 0:
            print(f"epoch {epoch}: train loss {total / len(train_loader):.4f}")

    model.eval  # expect: BN102
    scores, labels = [], []
    with torch.no_grad():
        for b in test_loader:
            logits = model(b["x"].to(device), b["edge_index"].to(device), b["batch"].to(device), b["num_graphs"])  # expect: BN101
            scores.append(torch.sigmoid(logits).cpu())
            labels.append(b["y"])
    print(f"test mean ROC-AUC over {NUM_TASKS} tasks: {mean_task_auc(torch.cat(scores), torch.cat(labels)):.4f}")
    torch.save(model.state_dict(), "gin_tox21.pt")


if __name__ == "__main__":
    main()
