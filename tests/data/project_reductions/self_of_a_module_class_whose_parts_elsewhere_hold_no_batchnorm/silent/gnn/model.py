import torch
from torch.nn import Embedding, ModuleList

from gnn.conv import LightConv


class LinkModel(torch.nn.Module):
    def __init__(self, num_nodes, dim, num_layers):
        super().__init__()
        self.embedding = Embedding(num_nodes, dim)
        self.convs = ModuleList([LightConv(dim) for _ in range(num_layers)])

    def forward(self, adjacency, pairs):
        x = self.embedding.weight
        for conv in self.convs:
            x = conv(x, adjacency)
        return (x[pairs[0]] * x[pairs[1]]).sum(dim=-1)

    def predict_link(self, adjacency, pairs, prob: bool = False):
        pred = self(adjacency, pairs).sigmoid()
        return pred if prob else pred.round()
