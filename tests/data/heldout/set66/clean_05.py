"""Semi-supervised GraphSAGE for payment-fraud detection on the merchant-account
transaction graph (full-batch, one graph, BatchNorm over node rows).

A mean-teacher consistency loss uses the unlabelled accounts: the teacher is an
exponential moving average of the student and only produces targets.
"""
from __future__ import annotations

import argparse
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

HIDDEN = 256
NUM_LAYERS = 3
EMA_DECAY = 0.99


def normalized_adjacency(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    src, dst = edge_index
    deg = torch.bincount(dst, minlength=num_nodes).clamp_min(1).float()
    values = 1.0 / deg[dst]
    return torch.sparse_coo_tensor(torch.stack([dst, src]), values, (num_nodes, num_nodes)).coalesce()


class SAGELayer(nn.Module):
    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.lin_self = nn.Linear(in_dim, out_dim, bias=False)
        self.lin_neigh = nn.Linear(in_dim, out_dim, bias=False)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        return self.lin_self(x) + self.lin_neigh(torch.sparse.mm(adj, x))


class FraudSAGE(nn.Module):
    def __init__(self, in_dim: int, hidden: int = HIDDEN, num_layers: int = NUM_LAYERS, dropout: float = 0.3):
        super().__init__()
        self.input_norm = nn.BatchNorm1d(in_dim, affine=False)
        dims = [in_dim] + [hidden] * num_layers
        self.layers = nn.ModuleList([SAGELayer(a, b) for a, b in zip(dims[:-1], dims[1:])])
        self.norms = nn.ModuleList([nn.BatchNorm1d(hidden, 1e-5, momentum=0.01) for _ in range(num_layers)])
        self.jk = nn.Sequential(
            nn.Linear(num_layers * hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, 2),
        )
        self.dropout = dropout

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        h = self.input_norm(x)
        outs = []
        for layer, norm in zip(self.layers, self.norms):
            h = F.relu(norm(layer(h, adj)))
            h = F.dropout(h, self.dropout, self.training)
            outs.append(h)
        return self.jk(torch.cat(outs, dim=1))


@torch.no_grad()
def ema_update(teacher: nn.Module, student: nn.Module, decay: float = EMA_DECAY) -> None:
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(decay).add_(s.detach(), alpha=1 - decay)
    for tb, sb in zip(teacher.buffers(), student.buffers()):
        tb.copy_(sb)


@torch.no_grad()
def evaluate(model: nn.Module, x, adj, y, mask) -> dict:
    model.train(False)
    prob = model(x, adj).softmax(1)[:, 1]
    p, t = prob[mask], y[mask]
    pos, neg = p[t == 1], p[t == 0]
    auc = (pos[:, None] > neg[None, :]).float().mean().item()
    top = torch.topk(p, max(1, int(0.01 * p.numel()))).indices
    return {"auc": auc, "precision@1%": t[top].float().mean().item()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--graph", default="data/merchant_graph.pt")
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--consistency", type=float, default=1.0)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    g = torch.load(args.graph)
    x, y = g["x"].to(device), g["y"].to(device)
    adj = normalized_adjacency(g["edge_index"], x.shape[0]).to(device)
    train_mask, val_mask, test_mask = (g[k].to(device) for k in ("train_mask", "val_mask", "test_mask"))
    unlabelled = ~(train_mask | val_mask | test_mask)

    student = FraudSAGE(x.shape[1]).to(device)
    teacher = copy.deepcopy(student).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(student.parameters(), lr=3e-3, weight_decay=5e-4)
    class_weight = torch.tensor([1.0, (y[train_mask] == 0).sum().item() / max((y[train_mask] == 1).sum().item(), 1)], device=device)

    best_auc, best_state = 0.0, None
    for epoch in range(args.epochs):
        student.train()
        logits = student(x + 0.01 * torch.randn_like(x), adj)
        sup = F.cross_entropy(logits[train_mask], y[train_mask], weight=class_weight)
        with torch.no_grad():
            target = teacher(x, adj).softmax(1)
        cons = F.mse_loss(logits[unlabelled].softmax(1), target[unlabelled])
        loss = sup + args.consistency * cons
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema_update(teacher, student)
        if epoch % 10 == 0:
            metrics = evaluate(student, x, adj, y, val_mask)
            print(f"epoch {epoch}: loss {loss.item():.4f} val auc {metrics['auc']:.4f}")
            if metrics["auc"] > best_auc:
                best_auc, best_state = metrics["auc"], copy.deepcopy(teacher.state_dict())

    if best_state is not None:
        teacher.load_state_dict(best_state)
    print("test:", evaluate(teacher, x, adj, y, test_mask))
    torch.save(teacher.state_dict(), "fraud_sage_teacher.pt")


if __name__ == "__main__":
    main()
