import timm
import torch
import torch.nn as nn

from .layers import GeM, make_neck

AUX_CH = 128


class SeedlingNet(nn.Module):
    """timm backbone -> (GeM + BN neck) main head, plus a 1x1 conv auxiliary head
    used for deep supervision during training only."""

    def __init__(self, model_name, num_classes, embed_dim, pretrained=True):
        super().__init__()
        self.backbone = timm.create_model(model_name, pretrained=pretrained, num_classes=0, global_pool="")
        in_features = self.backbone.num_features
        self.pool = GeM()
        self.neck = make_neck(in_features, embed_dim)
        self.head = nn.Linear(embed_dim, num_classes)
        self.aux = nn.Sequential(
            nn.Conv2d(in_features, 256, kernel_size=1, bias=False),
            nn.BatchNorm2d(AUX_CH),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(256, num_classes),
        )

    def forward(self, x, return_aux=False):
        fmap = self.backbone(x)
        logits = self.head(self.neck(self.pool(fmap)))
        if return_aux:
            return logits, self.aux(fmap)
        return logits


def get_model(cfg, pretrained=None):
    pretrained = cfg.pretrained if pretrained is None else pretrained
    return SeedlingNet(cfg.model_name, cfg.num_classes, cfg.embed_dim, pretrained=pretrained)
