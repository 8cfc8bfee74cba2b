import torch
import torch.nn as nn
from torch.utils.data import DataLoader


def conv(batchNorm, in_planes, out_planes):
    if batchNorm:
        return nn.Sequential(nn.Conv2d(in_planes, out_planes, 3), nn.BatchNorm2d(out_planes))
    else:
        return nn.Sequential(nn.Conv2d(in_planes, out_planes, 3))


class DeepVO(nn.Module):
    def __init__(self, batchNorm=True):
        super().__init__()
        self.batchNorm = batchNorm
        self.conv1 = conv(self.batchNorm, 6, 64)

    def forward(self, x):
        return self.conv1(x)

    def get_loss(self, x, y):
        predicted = self.forward(x)
        return torch.nn.functional.mse_loss(predicted, y)

    def step(self, x, y, optimizer):
        optimizer.zero_grad()
        loss = self.get_loss(x, y)
        loss.backward()
        optimizer.step()
        return loss


M_deepvo = DeepVO()
train_dl = DataLoader(train_dataset, batch_size=8)
valid_dl = DataLoader(valid_dataset, batch_size=8)
optimizer = torch.optim.Adam(M_deepvo.parameters(), lr=0.001)

for ep in range(10):
    M_deepvo.train()
    for it, (_, t_x, t_y) in enumerate(train_dl):
        ls = M_deepvo.step(t_x, t_y, optimizer).data.cpu().numpy()

    M_deepvo.eval()
    for it, (_, v_x, v_y) in enumerate(valid_dl):
        ls = M_deepvo.get_loss(v_x, v_y).data.cpu().numpy()
