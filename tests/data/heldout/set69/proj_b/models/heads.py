"""Projection / prediction MLPs and the SimSiam architecture."""
import torch.nn as nn
import torch.nn.functional as F

from . import ARCHS, HEADS


@HEADS.register("simsiam_projector")
class SimSiamProjector(nn.Module):
    def __init__(self, in_dim, hidden_dim=2048, out_dim=2048, num_layers=3):
        super().__init__()
        layers = [
            nn.Linear(in_dim, hidden_dim),  # expect: BN204
            nn.BatchNorm1d(hidden_dim),
            nn.ReLU(inplace=True),
        ]
        if num_layers == 3:
            layers += [
                nn.Linear(hidden_dim, hidden_dim, bias=False),
                nn.BatchNorm1d(hidden_dim),
                nn.ReLU(inplace=True),
            ]
        layers += [
            nn.Linear(hidden_dim, out_dim, bias=False),
            nn.BatchNorm1d(out_dim, affine=False),
        ]
        self.mlp = nn.Sequential(*layers)

    def forward(self, x):
        return self.mlp(x)


@HEADS.register("simsiam_predictor")
class SimSiamPredictor(nn.Module):
    def __init__(self, dim=2048, hidden_dim=512):
        super().__init__()
        self.layer1 = nn.Sequential(
            nn.Linear(dim, hidden_dim, bias=False),
            nn.BatchNorm1d(hidden_dim),
            nn.ReLU(inplace=True),
        )
        self.layer2 = nn.Linear(hidden_dim, dim)

    def forward(self, x):
        return self.layer2(self.layer1(x))


@ARCHS.register("simsiam")
class SimSiam(nn.Module):
    def __init__(self, backbone, projector, predictor):
        super().__init__()
        self.backbone = backbone
        self.projector = projector
        self.predictor = predictor

    def forward(self, x1, x2):
        z1 = self.projector(self.backbone(x1))
        z2 = self.projector(self.backbone(x2))
        p1 = self.predictor(z1)
        p2 = self.predictor(z2)
        return p1, p2, z1.detach(), z2.detach()

    @staticmethod
    def loss(p1, p2, z1, z2):
        return -0.5 * (F.cosine_similarity(p1, z2, dim=-1).mean() + F.cosine_similarity(p2, z1, dim=-1).mean())
