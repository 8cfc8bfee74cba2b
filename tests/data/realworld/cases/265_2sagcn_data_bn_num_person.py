import torch.nn as nn

from graph.kinetics import Graph

# config/kinetics-skeleton/train_joint.yaml (as run by the reporter)
model_args = dict(num_class=400, num_point=18, num_person=1, graph="graph.kinetics.Graph",
                  graph_args=dict(labeling_mode="spatial"), in_channels=3)
# feeder: data of shape (N, C=3, T=300, V=18, M=2) -- two skeletons per clip


class Model(nn.Module):
    def __init__(self, num_class=60, num_point=25, num_person=2, graph=None, graph_args=dict(), in_channels=3):
        super().__init__()
        self.graph = Graph(**graph_args)
        self.data_bn = nn.BatchNorm1d(num_person * in_channels * num_point)
        self.fc = nn.Linear(256, num_class)

    def forward(self, x):
        N, C, T, V, M = x.size()
        x = x.permute(0, 4, 3, 1, 2).contiguous().view(N, M * V * C, T)
        x = self.data_bn(x)
        x = x.view(N, M, V, C, T).permute(0, 1, 3, 4, 2).contiguous().view(N * M, C, T, V)
        return x


model = Model(**model_args)
