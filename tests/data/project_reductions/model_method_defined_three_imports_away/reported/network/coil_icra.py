import torch
import torch.nn as nn


class CoILICRA(nn.Module):
    def __init__(self, params):
        super(CoILICRA, self).__init__()
        self.perception = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))

    def forward(self, x, a):
        return [self.perception(x)]

    def forward_branch(self, x, a, branch_number):
        output_vec = torch.stack(self.forward(x, a)[0:4])
        return output_vec
