"""Full-batch node classification with a deep residual GCN (citation graph)."""
import argparse
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_graph(path: str, device):
    raw = np.load(path)
    x = torch.as_tensor(raw["features"], dtype=torch.float32)
    y = torch.as_tensor(raw["labels"], dtype=torch.long)
    edges = torch.as_tensor(raw["edges"], dtype=torch.long)          # (2, E)
    n = x.size(0)
    self_loops = torch.arange(n).repeat(2, 1)
    edges = torch.cat([edges, edges.flip(0), self_loops], dim=1)
    deg = torch.zeros(n).scatter_add_(0, edges[0], torch.ones(edges.size(1)))
    norm = deg[edges[0]].rsqrt() * deg[edges[1]].rsqrt()
    adj = torch.sparse_coo_tensor(edges, norm, (n, n)).coalesce()
    masks = {k: torch.as_tensor(raw[f"{k}_mask"], dtype=torch.bool) for k in ("train", "val", "test")}
    return x.to(device), adj.to(device), y.to(device), {k: m.to(device) for k, m in masks.items()}


class GraphConv(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.lin = nn.Linear(in_dim, out_dim, bias=False)

    def forward(self, x, adj):
        return torch.sparse.mm(adj, self.lin(x))


class ResGCN(nn.Module):
    def __init__(self, in_dim, hidden, num_classes, num_layers=8, dropout=0.5):
        super().__init__()
        self.input = nn.Linear(in_dim, hidden, bias=False)
        self.input_bn = nn.BatchNorm1d(hidden)
        self.convs = nn.ModuleList([GraphConv(hidden, hidden) for _ in range(num_layers)])
        self.norms = nn.ModuleList([nn.BatchNorm1d(hidden) for _ in range(num_layers)])
        self.out = nn.Linear(hidden, num_classes)
        self.dropout = dropout

    def forward(self, x, adj):
        h = F.relu(self.input_bn(self.input(F.dropout(x, self.dropout, self.training))))
        for conv, norm in zip(self.convs, self.norms):
            h = h + F.relu(norm(conv(F.dropout(h, self.dropout, self.training), adj)))   # (num_nodes, hidden)
        return self.out(h)


def train_step(model, optimizer, x, adj, y, mask):
    model.train()
    optimizer.zero_grad()
    out = model(x, adj)
    loss = F.cross_entropy(out[mask], y[mask])
    loss.backward()
    optimizer.step()
    acc = (out[mask].argmax(-1) == y[mask]).float().mean().item()
    return loss.item(), acc


@torch.no_grad()
def evaluate(model, x, adj, y, masks):
    model.eval()
    pred = model(x, adj).argmax(-1)
    return {k: (pred[m] == y[m]).float().mean().item() for k, m in masks.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--graph", default="data/pubmed.npz")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--patience", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x, adj, y, masks = load_graph(args.graph, device)
    num_classes = int(y.max()) + 1

    test_scores = []
    for run in range(args.runs):
        torch.manual_seed(run)
        model = ResGCN(x.size(1), args.hidden, num_classes, args.layers).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-3, weight_decay=5e-4)
        best_val, best_test, bad = 0.0, 0.0, 0
        start = time.time()
        for epoch in range(args.epochs):
            loss, train_acc = train_step(model, optimizer, x, adj, y, masks["train"])
            accs = evaluate(model, x, adj, y, masks)
            if accs["val"] > best_val:
                best_val, best_test, bad = accs["val"], accs["test"], 0
            else:
                bad += 1
                if bad >= args.patience:
                    break
        print(f"run {run}: val {best_val:.4f} test {best_test:.4f} "
              f"({epoch + 1} epochs, {time.time() - start:.1f}s, last loss {loss:.4f})")
        test_scores.append(best_test)
    print(f"test accuracy: {np.mean(test_scores):.4f} ± {np.std(test_scores):.4f}")


if __name__ == "__main__":
    main()
