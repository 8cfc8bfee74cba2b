import torch
import torch.nn as nn

from mmskl.graph import Graph

# the reporter's run: the graph layout has 25 joints, the skeleton data has 18
model_cfg = dict(in_channels=3, num_class=5, edge_importance_weighting=True,
                 graph_cfg=dict(layout="ntu-rgb+d", strategy="spatial"))


class ST_GCN_18(nn.Module):
    def __init__(self, in_channels, num_class, graph_cfg, edge_importance_weighting=True, data_bn=True, **kwargs):
        super().__init__()
        self.graph = Graph(**graph_cfg)
        A = torch.tensor(self.graph.A, dtype=torch.float32, requires_grad=False)
        self.register_buffer("A", A)
        self.data_bn = nn.BatchNorm1d(in_channels * A.size(1)) if data_bn else (lambda x: x)
        self.fcn = nn.Conv2d(256, num_class, kernel_size=1)

    def forward(self, x):
        N, C, T, V, M = x.size()
        x = x.permute(0, 4, 3, 1, 2).contiguous()
        x = x.view(N * M, V * C, T)
        x = self.data_bn(x)
        x = x.view(N, M, V, C, T).permute(0, 1, 3, 4, 2).contiguous().view(N * M, C, T, V)
        return x


class ProtoNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = ST_GCN_18(**model_cfg)

    def forward(self, x):  # x: (N, 3, T, 18, M) openpose skeletons
        return self.model(x)
