import torch
import torch.nn as nn
import torch.nn.functional as F


def GMul(W, x):
    # x: (bs, N, num_features), W: (bs, N, N, J)
    N = W.size(-3)
    W_lst = W.split(1, 3)
    W = torch.cat(W_lst, 1).squeeze(3)  # (bs, J*N, N)
    output = torch.bmm(W, x)  # (bs, J*N, num_features)
    output = output.split(N, 1)
    return torch.cat(output, 2)  # (bs, N, J*num_features)


class gnn_atomic(nn.Module):
    def __init__(self, feature_maps, J):
        super().__init__()
        self.num_inputs = J * feature_maps[0]
        self.num_outputs = feature_maps[2]
        self.fc1 = nn.Linear(self.num_inputs, self.num_outputs // 2)
        self.fc2 = nn.Linear(self.num_inputs, self.num_outputs - self.num_outputs // 2)
        self.bn = nn.BatchNorm1d(self.num_outputs)

    def forward(self, WW, x):
        x = GMul(WW, x)
        x_size = x.size()
        x = x.contiguous().view(-1, self.num_inputs)
        x1 = F.relu(self.fc1(x))  # (bs*N, num_outputs // 2)
        x2 = self.fc2(x)
        x = torch.cat((x1, x2), 1)
        x = self.bn(x)
        x = x.view(*x_size[:-1], self.num_outputs)
        return WW, x


class GNN_multiclass(nn.Module):
    def __init__(self, num_features, num_layers, J, n_classes=2):
        super().__init__()
        self.num_layers = num_layers
        self.layer0 = gnn_atomic([1, 1, num_features], J)
        for i in range(num_layers):
            self.add_module("layer{}".format(i + 1), gnn_atomic([num_features, num_features, num_features], J))
        self.fc = nn.Linear(num_features, n_classes)

    def forward(self, W, x):
        cur = self.layer0(W, x)
        for i in range(self.num_layers):
            cur = self._modules["layer{}".format(i + 1)](*cur)
        return self.fc(cur[1])
