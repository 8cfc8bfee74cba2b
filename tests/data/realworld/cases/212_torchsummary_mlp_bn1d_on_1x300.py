import torch
import torch.nn as nn
from torchsummary import summary


class Net(nn.Module):
    def __init__(self, in_dim=300, hidden=(100, 50), n_out=3):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden[0])
        self.bn1 = nn.BatchNorm1d(hidden[0])
        self.fc2 = nn.Linear(hidden[0], hidden[1])
        self.bn2 = nn.BatchNorm1d(hidden[1])
        self.out = nn.Linear(hidden[1], n_out)

    def forward(self, x):
        x = torch.tanh(self.bn1(self.fc1(x)))
        x = torch.tanh(self.bn2(self.fc2(x)))
        return self.out(x)


device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = Net().to(device)
# the input size is given as (1, 300): every sample is a 1 x 300 "sequence"
summary(model, (1, 300))
