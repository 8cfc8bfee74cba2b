import torch.nn as nn

from .backbone import ResNetBackbone
from .heads import MLPHead


class LeafClassifier(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        b = cfg["backbone"]
        self.backbone = ResNetBackbone(widths=b["widths"], depths=b["depths"],
                                       frozen_stages=b["frozen_stages"], norm_eval=b["norm_eval"])
        self.head = MLPHead(self.backbone.out_channels, cfg["head"]["hidden"],
                            cfg["num_classes"], dropout=cfg["head"]["dropout"])

    def forward(self, x):
        return self.head(self.backbone(x))


def build_model(cfg, load_pretrained=True):
    model = LeafClassifier(cfg)
    if load_pretrained and cfg["backbone"].get("pretrained"):
        model.backbone.load_pretrained(cfg["backbone"]["pretrained"])
    return model
