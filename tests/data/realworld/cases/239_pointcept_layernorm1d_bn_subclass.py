import torch
import torch.nn as nn


class LayerNorm1d(nn.BatchNorm1d):
    """BatchNorm over the last dim of (n, nsample, c) grouped point features."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return super().forward(input.transpose(1, 2).contiguous()).transpose(1, 2).contiguous()


class PointTransformerLayer(nn.Module):
    def __init__(self, embed_channels, groups=8):
        super().__init__()
        self.linear_q = nn.Sequential(nn.Linear(embed_channels, embed_channels),
                                      LayerNorm1d(embed_channels), nn.ReLU(inplace=True))
        self.linear_p_bias = nn.Sequential(nn.Linear(3, embed_channels), LayerNorm1d(embed_channels),
                                           nn.ReLU(inplace=True), nn.Linear(embed_channels, embed_channels))
        self.weight_encoding = nn.Sequential(nn.Linear(embed_channels, groups), LayerNorm1d(groups),
                                             nn.ReLU(inplace=True), nn.Linear(groups, groups))

    def forward(self, feat, key, pos):
        # key, pos: (n, nsample, c) neighbourhood features and relative positions
        relation = key - feat.unsqueeze(1) + self.linear_p_bias(pos)
        return self.weight_encoding(relation).softmax(dim=1)


def build_model(cfg, model):
    if cfg.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return model
