"""Lightweight YOLO-style backbone + neck, configured through OmegaConf.

BatchNorm hyper-parameters follow the PyTorch convention (momentum is the
weight of the *new* batch); the TF checkpoints' decay 0.97 becomes 0.03 here.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Optional

import torch
import torch.nn as nn
from omegaconf import OmegaConf

log = logging.getLogger("yolo_lite")


@dataclass
class NormCfg:
    eps: float = 1e-3
    momentum: float = 0.03


@dataclass
class ModelCfg:
    width_mult: float = 0.5
    depth: list[int] = field(default_factory=lambda: [1, 2, 3, 1])
    norm: NormCfg = field(default_factory=NormCfg)
    num_classes: int = 80


def make_divisible(v: float, divisor: int = 8) -> int:
    return max(divisor, int(v + divisor / 2) // divisor * divisor)


class ConvBNSiLU(nn.Module):
    def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1, norm: Optional[NormCfg] = None) -> None:
        super().__init__()
        norm = norm or NormCfg()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=norm.eps, momentum=norm.momentum)
        self.act = nn.SiLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c: int, norm: NormCfg) -> None:
        super().__init__()
        self.cv1 = ConvBNSiLU(c, c, 1, norm=norm)
        self.cv2 = ConvBNSiLU(c, c, 3, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.cv2(self.cv1(x))


class C3(nn.Module):
    def __init__(self, c1: int, c2: int, n: int, norm: NormCfg) -> None:
        super().__init__()
        c_ = c2 // 2
        self.cv1 = ConvBNSiLU(c1, c_, norm=norm)
        self.cv2 = ConvBNSiLU(c1, c_, norm=norm)
        self.m = nn.Sequential(*(Bottleneck(c_, norm) for _ in range(n)))
        self.cv3 = ConvBNSiLU(2 * c_, c2, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(torch.cat([self.m(self.cv1(x)), self.cv2(x)], dim=1))


class InputNorm(nn.Module):
    """Learned input normalisation: 1x1 conv with bias, ReLU, then BN.

    The ReLU sits between conv and BN, so the conv bias is not redundant.
    """

    def __init__(self, c_in: int = 3, c_out: int = 16) -> None:
        super().__init__()
        self.proj = nn.Conv2d(c_in, c_out, 1, bias=True)
        self.act = nn.ReLU()
        self.bn = nn.BatchNorm2d(c_out, 1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.act(self.proj(x)))


class YoloLite(nn.Module):
    def __init__(self, cfg: ModelCfg) -> None:
        super().__init__()
        w = [make_divisible(c * cfg.width_mult) for c in (64, 128, 256, 512, 1024)]
        self.input_norm = InputNorm(3, 16)
        self.stem = ConvBNSiLU(16, w[0], 3, 2, cfg.norm)
        stages = []
        for i, n in enumerate(cfg.depth):
            stages.append(nn.Sequential(ConvBNSiLU(w[i], w[i + 1], 3, 2, cfg.norm), C3(w[i + 1], w[i + 1], n, cfg.norm)))
        self.stages = nn.ModuleList(stages)
        self.neck_bn = nn.BatchNorm1d(w[-1], momentum=None)  # cumulative moving average for the pooled stats
        self.cls_head = nn.Linear(w[-1], cfg.num_classes)
        self.det_heads = nn.ModuleList(nn.Conv2d(c, 3 * (5 + cfg.num_classes), 1) for c in w[2:])

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        x = self.stem(self.input_norm(x))
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        det = [head(f) for head, f in zip(self.det_heads, feats[1:])]
        pooled = self.neck_bn(x.mean(dim=(2, 3)))
        return det, self.cls_head(pooled)


def build(overrides: Optional[list[str]] = None) -> YoloLite:
    base = OmegaConf.structured(ModelCfg)
    cfg = OmegaConf.merge(base, OmegaConf.from_dotlist(overrides or []))
    log.info("model config:\n%s", OmegaConf.to_yaml(cfg))
    return YoloLite(OmegaConf.to_object(cfg))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    net = build(["width_mult=0.25", "num_classes=20"]).eval()
    n_params = sum(p.numel() for p in net.parameters())
    with torch.inference_mode():
        det, cls = net(torch.randn(2, 3, 320, 320))
    log.info("params=%.2fM det=%s cls=%s", n_params / 1e6, [tuple(d.shape) for d in det], tuple(cls.shape))
