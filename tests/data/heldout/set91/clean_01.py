"""GraphSAGE (mean aggregator) with BatchNorm for node classification on a
product co-purchase graph.  Node features are (num_nodes, F); BatchNorm1d
normalises each feature over the nodes, which is exactly what we want here.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def mean_aggregate(x, edge_index):
    src, dst = edge_index
    out = torch.zeros_like(x).index_add_(0, dst, x[src])
    deg = torch.zeros(x.size(0), device=x.device).index_add_(
        0, dst, torch.ones(src.numel(), device=x.device))
    return out / deg.clamp(min=1).unsqueeze(-1)


class SAGEConv(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        # both projections are bias-free: the layer is always followed by BatchNorm
        self.lin_self = nn.Linear(in_dim, out_dim, bias=False)
        self.lin_neigh = nn.Linear(in_dim, out_dim, bias=False)

    def forward(self, x, edge_index):
        return self.lin_self(x) + self.lin_neigh(mean_aggregate(x, edge_index))


class SAGE(nn.Module):
    def __init__(self, in_dim, hidden, num_classes, num_layers=3, dropout=0.5):
        super().__init__()
        dims = [in_dim] + [hidden] * (num_layers - 1)
        self.convs = nn.ModuleList(SAGEConv(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.bns = nn.ModuleList(nn.BatchNorm1d(hidden, momentum=0.01) for _ in range(num_layers - 1))
        self.out = SAGEConv(hidden, num_classes)
        self.dropout = dropout

    def forward(self, x, edge_index):
        for conv, bn in zip(self.convs, self.bns):
            x = conv(x, edge_index)      # (num_nodes, hidden)
            x = F.relu(bn(x))
            x = F.dropout(x, self.dropout, self.training)
        return self.out(x, edge_index)


def load_graph(num_nodes=10_000, in_dim=100, num_classes=47):
    g = torch.Generator().manual_seed(7)
    y = torch.randint(0, num_classes, (num_nodes,), generator=g)
    x = torch.randn(num_nodes, in_dim, generator=g) + F.one_hot(y, num_classes)[:, :in_dim].float()
    e = torch.randint(0, num_nodes, (2, 8 * num_nodes), generator=g)
    edge_index = torch.cat([e, e.flip(0)], dim=1)
    split = torch.rand(num_nodes, generator=g)
    return x, y, edge_index, split < 0.6, (split >= 0.6) & (split < 0.8), split >= 0.8


def train_epoch(model, x, y, edge_index, mask, opt):
    model.train()
    opt.zero_grad()
    loss = F.cross_entropy(model(x, edge_index)[mask], y[mask])
    loss.backward()
    opt.step()
    return float(loss)


@torch.no_grad()
def evaluate(model, x, y, edge_index, masks):
    model.eval()
    pred = model(x, edge_index).argmax(dim=-1)
    return [(pred[m] == y[m]).float().mean().item() for m in masks]


if __name__ == "__main__":
    x, y, edge_index, train_m, val_m, test_m = load_graph()
    model = SAGE(x.size(1), 256, int(y.max()) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)

    best_val, best_test = 0.0, 0.0
    for epoch in range(1, 301):
        loss = train_epoch(model, x, y, edge_index, train_m, opt)
        if epoch % 5 == 0:
            train_acc, val_acc, test_acc = evaluate(model, x, y, edge_index, [train_m, val_m, test_m])
            if val_acc > best_val:
                best_val, best_test = val_acc, test_acc
                torch.save(model.state_dict(), "sage_best.pt")
            print(f"{epoch:03d} loss={loss:.3f} train={train_acc:.3f} val={val_acc:.3f} test={test_acc:.3f}")
    print(f"best val {best_val:.3f} -> test {best_test:.3f}")

    model.load_state_dict(torch.load("sage_best.pt"))
    model.eval()
    traced = torch.jit.trace(model, (x, edge_index))
    traced.save("sage_products.ts")
