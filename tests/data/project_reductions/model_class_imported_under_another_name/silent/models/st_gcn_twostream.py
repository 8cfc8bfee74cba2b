import torch.nn as nn


class Model(nn.Module):
    def __init__(self, num_class):
        super().__init__()
        self.fusion_fc = nn.Sequential(
            nn.Linear(256 * 4, 512),
            nn.BatchNorm1d(512),
            nn.ReLU(inplace=True),
            nn.Linear(512, num_class)
        )

    def forward(self, x):
        return self.fusion_fc(x)
