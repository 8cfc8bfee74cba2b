import torch.nn as nn
from torch.utils.data import DataLoader

data_config = dict(batch_size=1, num_workers=4)  # "batch size can only be 1" per GPU


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features, out_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(hidden_features, out_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class DepthNet(nn.Module):
    def __init__(self, in_channels, mid_channels, context_channels, depth_channels):
        super().__init__()
        self.reduce_conv = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, kernel_size=3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels),
            nn.ReLU(inplace=True),
        )
        self.context_conv = nn.Conv2d(mid_channels, context_channels, kernel_size=1, stride=1, padding=0)
        self.bn = nn.BatchNorm1d(27)
        self.depth_mlp = Mlp(27, mid_channels, mid_channels)
        self.context_mlp = Mlp(27, mid_channels, mid_channels)
        self.depth_conv = nn.Conv2d(mid_channels, depth_channels, kernel_size=1, stride=1, padding=0)

    def forward(self, x, mlp_input):
        # mlp_input: (B, N_cams, 27) camera parameters; one camera on SemanticKITTI
        mlp_input = self.bn(mlp_input.reshape(-1, mlp_input.shape[-1]))
        x = self.reduce_conv(x)
        context = self.context_conv(x * self.context_mlp(mlp_input)[..., None, None])
        depth = self.depth_conv(x * self.depth_mlp(mlp_input)[..., None, None])
        return context, depth


class SemanticKITTIDataModule:
    def __init__(self, train_dataset, batch_size=1, num_workers=4):
        self.train_dataset = train_dataset
        self.batch_size = batch_size
        self.num_workers = num_workers

    def train_dataloader(self):
        return DataLoader(self.train_dataset, batch_size=self.batch_size, drop_last=True,
                          num_workers=self.num_workers, shuffle=True, pin_memory=True)


def build_datamodule(train_dataset):
    return SemanticKITTIDataModule(train_dataset, **data_config)
