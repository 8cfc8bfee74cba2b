import hiddenlayer as hl
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, in_dim=300, hidden=(100, 50), n_out=3):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(in_dim, hidden[0]),
            nn.BatchNorm1d(hidden[0]),
            nn.Tanh(),
            nn.Linear(hidden[0], hidden[1]),
            nn.BatchNorm1d(hidden[1]),
            nn.Tanh(),
            nn.Linear(hidden[1], n_out),
        )

    def forward(self, x):
        return self.layers(x)


model = Net()
# the model is still in training mode when it is traced with one sample
graph = hl.build_graph(model, torch.zeros([1, 300]))
graph.save("net", format="png")
