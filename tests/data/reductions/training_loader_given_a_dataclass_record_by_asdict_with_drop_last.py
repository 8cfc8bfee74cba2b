import dataclasses
import torch.nn as nn
from torch.utils.data import DataLoader


class PPM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU())

    def forward(self, x):
        return x + self.pool(x)


@dataclasses.dataclass
class LoaderArgs:
    batch_size: int
    shuffle: bool
    drop_last: bool = True  # the fix


ARGS = LoaderArgs(batch_size=12, shuffle=True)


def train_dataloader(train_dataset):
    return DataLoader(train_dataset, **dataclasses.asdict(ARGS))
