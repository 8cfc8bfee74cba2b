# Modelled on: https://github.com/xieyulai/LSTM-for-Human-Activity-Recognition-using-2D-Pose_Pytorch/issues/2
# ("Batch Norm operation needs transpose of input shape": BatchNorm1d gets [batch_size, timesteps, features] and
# normalises over the timesteps, not the features).
# Bug: BN203 (sequence layout). Here num_features equals the number of timesteps, so PyTorch raises nothing.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _common import Clock, parse

n_steps, n_input, n_hidden, n_categories = 32, 36, 34, 6


class LSTM(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim, n_layers=2):
        super().__init__()
        self.lstm = nn.LSTM(input_dim, hidden_dim, n_layers, batch_first=True)
        self.bn = nn.BatchNorm1d(n_steps)
        self.fc = nn.Linear(hidden_dim, output_dim)

    def forward(self, x):
        out, _ = self.lstm(x)
        out = self.bn(out)
        return self.fc(out[:, -1, :])


args = parse()
rnn = LSTM(n_input, n_hidden, n_categories)
optimizer = torch.optim.SGD(rnn.parameters(), lr=0.005, momentum=0.9)
criterion = nn.CrossEntropyLoss()
train_loader = DataLoader(TensorDataset(torch.randn(128, n_steps, n_input), torch.randint(0, n_categories, (128,))),
                          batch_size=32, shuffle=True)
step = 0
with Clock():
    while step < args.steps:
        rnn.train()
        for category_tensor, input_tensor in ((y, x) for x, y in train_loader):
            output = rnn(input_tensor)
            loss = criterion(output, category_tensor)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step >= args.steps:
                break
