from torch import nn
from yacs.config import CfgNode


class PartNet(nn.Module):
    def __init__(self, part_num: int, embedding_dim: int, part_dim: int):
        super().__init__()
        self.part_num = part_num
        self.part_dim = part_dim
        self.reduction = nn.Sequential(
            nn.Conv2d(embedding_dim, part_dim, 1, bias=False),
            nn.BatchNorm2d(part_num),
            nn.ReLU(),
        )

    def forward(self, x):
        return self.reduction(x)


def build_part_backbone(cfg: CfgNode):
    return PartNet(part_num=3, embedding_dim=2048, part_dim=512)


def _unused(cfg: CfgNode):
    part_num = cfg.MODEL.PCB.PART_NUM
    part_dim = cfg.MODEL.PCB.PART_DIM
    embedding_dim = cfg.MODEL.PCB.EMBEDDING_DIM
    return PartNet(part_num=part_num, embedding_dim=embedding_dim, part_dim=part_dim)
