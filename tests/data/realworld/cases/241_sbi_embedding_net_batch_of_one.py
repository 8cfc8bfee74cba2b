import torch
import torch.nn as nn
from torch import Tensor


def build_maf(batch_x: Tensor, batch_y: Tensor, z_score_x="independent", hidden_features=50,
              num_transforms=5, embedding_net: nn.Module = nn.Identity(), **kwargs):
    """Builds a masked autoregressive flow; batch_y are the simulated data."""
    x_numel = batch_x[0].numel()
    # infer the size of the embedding from a single datum
    y_numel = embedding_net(batch_y[:1]).numel()
    if x_numel == 1:
        print("In one-dimensional output space, this flow is limited to Gaussians")
    return make_flow(x_numel, y_numel, hidden_features, num_transforms, embedding_net)


def make_flow(x_numel, y_numel, hidden_features, num_transforms, embedding_net):
    return nn.ModuleDict({"embedding_net": embedding_net,
                          "flow": nn.Linear(y_numel, x_numel * hidden_features)})


num_hidden = 64
embedding_net = nn.Sequential(
    nn.Linear(100, num_hidden),
    nn.BatchNorm1d(num_hidden),
    nn.ReLU(),
    nn.Linear(num_hidden, 10),
)
theta = torch.rand(1000, 3)
x = torch.randn(1000, 100)
density_estimator = build_maf(theta, x, embedding_net=embedding_net, hidden_features=num_hidden)
