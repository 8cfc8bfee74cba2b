import torch.nn as nn

from template import MetaTemplate


class ProtoNet(MetaTemplate):
    def forward(self, x):
        return -x


class RelationNet(MetaTemplate):
    def __init__(self, n_way):
        super().__init__(n_way)
        self.relation_module = nn.Sequential(nn.Conv2d(4, 4, 3, bias=False), nn.BatchNorm2d(4))

    def forward(self, x):
        return self.relation_module(x)
