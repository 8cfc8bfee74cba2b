import torch.nn as nn
import torch.nn.functional as F


class XVector(nn.Module):
    def __init__(self, input_dim, output_dim, node_num):
        super().__init__()
        self.fc1 = nn.Linear(input_dim, node_num[0], bias=False)
        self.fc2 = nn.Linear(node_num[0], node_num[1], bias=False)
        self.fc3 = nn.Linear(node_num[1], output_dim)
        self.batch_norm1 = nn.BatchNorm1d(512)
        self.batch_norm2 = nn.BatchNorm1d(256)

    def forward(self, x):
        x = F.relu(self.batch_norm1(self.fc1(x)))
        x = F.relu(self.batch_norm2(self.fc2(x)))
        return self.fc3(x)
