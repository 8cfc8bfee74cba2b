"""Semi-supervised node classification on a citation graph (Cora-like).

A small GCN written without torch_geometric: messages are normalised by
sqrt(deg_i * deg_j) and aggregated with index_add_. BatchNorm1d is applied
over node features of shape (num_nodes, hidden).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_NODES = 2708
NUM_FEATURES = 1433
NUM_CLASSES = 7
HIDDEN = 128
EPOCHS = 200


class GCNConv(nn.Module):
    """x' = D^-1/2 (A + I) D^-1/2 X W  (no bias: a BatchNorm follows)."""

    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.lin = nn.Linear(in_dim, out_dim, bias=False)

    def forward(self, x, edge_index):
        num_nodes = x.size(0)
        loops = torch.arange(num_nodes, device=x.device)
        src = torch.cat([edge_index[0], loops])
        dst = torch.cat([edge_index[1], loops])
        deg = torch.zeros(num_nodes, device=x.device).index_add_(
            0, dst, torch.ones_like(dst, dtype=torch.float))
        norm = deg[src].rsqrt() * deg[dst].rsqrt()
        h = self.lin(x)
        msg = h[src] * norm.unsqueeze(-1)
        return torch.zeros_like(h).index_add_(0, dst, msg)


class GCN(nn.Module):
    def __init__(self, in_channels, num_classes, dropout=0.5):
        super().__init__()
        self.conv1 = GCNConv(in_channels, HIDDEN)
        self.bn1 = nn.BatchNorm1d(HIDDEN)
        self.conv2 = GCNConv(HIDDEN, HIDDEN)
        self.bn2 = nn.BatchNorm1d(HIDDEN)
        self.head = nn.Sequential(
            nn.Linear(HIDDEN, 64, bias=False),
            nn.BatchNorm1d(HIDDEN),  # expect: BN201
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(64, num_classes),
        )
        self.dropout = dropout

    def forward(self, x, edge_index):
        x = F.dropout(x, p=self.dropout, training=self.training)
        x = F.relu(self.bn1(self.conv1(x, edge_index)))
        x = F.dropout(x, p=self.dropout, training=self.training)
        x = F.relu(self.bn2(self.conv2(x, edge_index)))
        return self.head(x)


def make_synthetic_citation_graph(num_nodes, num_feats, num_classes, avg_deg=4):
    y = torch.randint(0, num_classes, (num_nodes,))
    centers = torch.randn(num_classes, num_feats)
    x = (centers[y] + 0.5 * torch.randn(num_nodes, num_feats) > 1.0).float()
    num_edges = num_nodes * avg_deg // 2
    src = torch.randint(0, num_nodes, (num_edges,))
    dst = torch.randint(0, num_nodes, (num_edges,))
    edge_index = torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], dim=1)
    perm = torch.randperm(num_nodes)
    train_mask = torch.zeros(num_nodes, dtype=torch.bool)
    val_mask = torch.zeros(num_nodes, dtype=torch.bool)
    test_mask = torch.zeros(num_nodes, dtype=torch.bool)
    train_mask[perm[:140]] = True
    val_mask[perm[140:640]] = True
    test_mask[perm[1708:]] = True
    return x, y, edge_index, train_mask, val_mask, test_mask


def train_step(model, x, y, edge_index, mask, optimizer):
    model.train()
    optimizer.zero_grad()
    out = model(x, edge_index)
    loss = F.cross_entropy(out[mask], y[mask])
    loss.backward()
    optimizer.step()
    return loss.item()


@torch.no_grad()
def evaluate(model, x, y, edge_index, mask):
    logits = model(x, edge_index)  # expect: BN101
    pred = logits.argmax(dim=-1)
    return (pred[mask] == y[mask]).float().mean().item()


def main():
    torch.manual_seed(0)
    x, y, edge_index, train_mask, val_mask, test_mask = make_synthetic_citation_graph(
        NUM_NODES, NUM_FEATURES, NUM_CLASSES)
    model = GCN(NUM_FEATURES, NUM_CLASSES)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)

    best_val, best_state = 0.0, None
    for epoch in range(1, EPOCHS + 1):
        loss = train_step(model, x, y, edge_index, train_mask, optimizer)
        if epoch % 10 == 0:
            val_acc = evaluate(model, x, y, edge_index, val_mask)
            if val_acc > best_val:
                best_val = val_acc
                best_state = {k: v.clone() for k, v in model.state_dict().items()}
            print(f"epoch {epoch:03d} loss {loss:.4f} val {val_acc:.3f}")

    if best_state is not None:
        model.load_state_dict(best_state)
    print("test acc", evaluate(model, x, y, edge_index, test_mask))

    traced = torch.jit.trace(model, (x, edge_index))  # expect: BN104
    traced.save("gcn_cora.pt")


if __name__ == "__main__":
    main()
