"""CenterNet-lite detector fine-tuning with frozen backbone stages.

Two supported ways of freezing BatchNorm, both of which keep the running
statistics fixed:

* ``freeze_at``: the first stages are frozen detectron2-style: parameters get
  ``requires_grad=False`` and their BatchNorm layers are replaced by
  :class:`FrozenBatchNorm2d` (no running-stat updates possible).
* ``freeze_bn``: every BatchNorm in the backbone is frozen; ``Detector.train``
  re-applies ``eval()`` to them each time the model is put in training mode.
"""
from __future__ import annotations

import logging
import time
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

logger = logging.getLogger("detector")


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d where the batch statistics and the affine parameters are fixed."""

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features) - eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        bias = self.bias - self.running_mean * scale
        return x * scale.reshape(1, -1, 1, 1) + bias.reshape(1, -1, 1, 1)

    @classmethod
    def convert_frozen_batchnorm(cls, module: nn.Module) -> nn.Module:
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            frozen = cls(module.num_features, module.eps)
            if module.affine:
                frozen.weight.data.copy_(module.weight.detach())
                frozen.bias.data.copy_(module.bias.detach())
            frozen.running_mean.data.copy_(module.running_mean)
            frozen.running_var.data.copy_(module.running_var)
            return frozen
        for name, child in module.named_children():
            new_child = cls.convert_frozen_batchnorm(child)
            if new_child is not child:
                module.add_module(name, new_child)
        return module


# ------------------------------------------------------------------ backbone
class BasicStage(nn.Sequential):
    def __init__(self, in_ch: int, out_ch: int, num_blocks: int, stride: int) -> None:
        layers: List[nn.Module] = []
        for i in range(num_blocks):
            layers += [
                nn.Conv2d(in_ch if i == 0 else out_ch, out_ch, 3, stride if i == 0 else 1, 1, bias=False),
                nn.BatchNorm2d(out_ch),
                nn.ReLU(inplace=True),
            ]
        super().__init__(*layers)

    def freeze(self) -> "BasicStage":
        for p in self.parameters():
            p.requires_grad = False
        FrozenBatchNorm2d.convert_frozen_batchnorm(self)
        return self


class Backbone(nn.Module):
    WIDTHS = (64, 128, 256, 512)

    def __init__(self, freeze_at: int = 0) -> None:
        super().__init__()
        self.stem = BasicStage(3, 64, 1, stride=2)
        self.res2 = BasicStage(64, self.WIDTHS[0], 2, stride=2)
        self.res3 = BasicStage(self.WIDTHS[0], self.WIDTHS[1], 2, stride=2)
        self.res4 = BasicStage(self.WIDTHS[1], self.WIDTHS[2], 2, stride=2)
        self.res5 = BasicStage(self.WIDTHS[2], self.WIDTHS[3], 2, stride=2)
        stages = [self.stem, self.res2, self.res3, self.res4, self.res5]
        for stage in stages[:freeze_at]:
            stage.freeze()

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        x = self.stem(x)
        c2 = self.res2(x)
        c3 = self.res3(c2)
        c4 = self.res4(c3)
        c5 = self.res5(c4)
        return {"c3": c3, "c4": c4, "c5": c5}


class SimpleFPN(nn.Module):
    """Top-down FPN; no normalisation, so the convolutions keep their bias."""

    def __init__(self, in_channels=(128, 256, 512), out_channels: int = 128) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)
        self.output = nn.ModuleList(nn.Conv2d(out_channels, out_channels, 3, padding=1) for _ in in_channels)

    def forward(self, feats: Dict[str, torch.Tensor]) -> torch.Tensor:
        c3, c4, c5 = feats["c3"], feats["c4"], feats["c5"]
        p5 = self.lateral[2](c5)
        p4 = self.lateral[1](c4) + F.interpolate(p5, size=c4.shape[-2:], mode="nearest")
        p3 = self.lateral[0](c3) + F.interpolate(p4, size=c3.shape[-2:], mode="nearest")
        return self.output[0](p3)


class CenterHead(nn.Module):
    def __init__(self, in_ch: int, num_classes: int, head_ch: int = 64) -> None:
        super().__init__()
        self.heatmap = nn.Sequential(nn.Conv2d(in_ch, head_ch, 3, padding=1), nn.ReLU(inplace=True),
                                     nn.Conv2d(head_ch, num_classes, 1))
        self.size = nn.Sequential(nn.Conv2d(in_ch, head_ch, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(head_ch, 2, 1))
        nn.init.constant_(self.heatmap[-1].bias, -2.19)

    def forward(self, x):
        return self.heatmap(x), self.size(x)


class Detector(nn.Module):
    def __init__(self, num_classes: int, freeze_at: int = 2, freeze_bn: bool = False) -> None:
        super().__init__()
        self.backbone = Backbone(freeze_at=freeze_at)
        self.neck = SimpleFPN()
        self.head = CenterHead(128, num_classes)
        self.freeze_bn = freeze_bn
        if freeze_bn:
            self._freeze_backbone_bn()

    def _freeze_backbone_bn(self) -> None:
        for m in self.backbone.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
                m.weight.requires_grad_(False)
                m.bias.requires_grad_(False)

    def train(self, mode: bool = True) -> "Detector":
        super().train(mode)
        if mode and self.freeze_bn:
            self._freeze_backbone_bn()
        return self

    def forward(self, images: torch.Tensor):
        return self.head(self.neck(self.backbone(images)))


def detection_loss(outputs, targets) -> Dict[str, torch.Tensor]:
    heat_logits, sizes = outputs
    gt_heat, gt_size, mask = targets
    heat = F.binary_cross_entropy_with_logits(heat_logits, gt_heat, reduction="mean")
    size = (F.l1_loss(sizes, gt_size, reduction="none") * mask).sum() / mask.sum().clamp(min=1)
    return {"loss_heatmap": heat, "loss_size": 0.1 * size}


# ------------------------------------------------------------------- trainer
class SyntheticDetection(Dataset):
    def __init__(self, n: int, num_classes: int = 20, size: int = 256) -> None:
        self.n, self.k, self.s = n, num_classes, size

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        img = torch.randn(3, self.s, self.s, generator=g)
        o = self.s // 8
        heat = (torch.rand(self.k, o, o, generator=g) > 0.995).float()
        size = torch.rand(2, o, o, generator=g) * 32
        mask = heat.amax(0, keepdim=True)
        return img, (heat, size, mask)


class EvalHook:
    def __init__(self, period: int, loader: DataLoader) -> None:
        self.period, self.loader = period, loader

    @torch.no_grad()
    def __call__(self, trainer: "SimpleTrainer") -> Optional[Dict[str, float]]:
        if (trainer.iter + 1) % self.period:
            return None
        model = trainer.model
        was_training = model.training
        model.eval()
        try:
            totals: Dict[str, float] = {}
            for images, targets in self.loader:
                losses = detection_loss(model(images.to(trainer.device)),
                                        [t.to(trainer.device) for t in targets])
                for k, v in losses.items():
                    totals[k] = totals.get(k, 0.0) + v.item()
            return {f"val/{k}": v / len(self.loader) for k, v in totals.items()}
        finally:
            model.train(was_training)


class SimpleTrainer:
    def __init__(self, model: Detector, loader: DataLoader, max_iter: int,
                 hooks: Optional[List[EvalHook]] = None, lr: float = 0.02) -> None:
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.loader = loader
        self.max_iter = max_iter
        self.hooks = hooks or []
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=1e-4)
        self.iter = 0

    def _infinite(self):
        while True:
            yield from self.loader

    def run_step(self, data) -> Dict[str, float]:
        images, targets = data
        outputs = self.model(images.to(self.device))
        losses = detection_loss(outputs, [t.to(self.device) for t in targets])
        total = sum(losses.values())
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.optimizer.step()
        return {k: v.item() for k, v in losses.items()}

    def train(self) -> None:
        self.model.train()
        data_iter = self._infinite()
        start = time.perf_counter()
        for self.iter in range(self.max_iter):
            metrics = self.run_step(next(data_iter))
            for hook in self.hooks:
                extra = hook(self)
                if extra:
                    metrics.update(extra)
            if self.iter % 20 == 0:
                logger.info("iter %d %s (%.2fs/it)", self.iter, metrics,
                            (time.perf_counter() - start) / (self.iter + 1))


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    train_loader = DataLoader(SyntheticDetection(4000), batch_size=16, shuffle=True,
                              num_workers=4, drop_last=True)
    val_loader = DataLoader(SyntheticDetection(200), batch_size=8)
    model = Detector(num_classes=20, freeze_at=2, freeze_bn=True)
    trainer = SimpleTrainer(model, train_loader, max_iter=9000,
                            hooks=[EvalHook(period=1000, loader=val_loader)])
    trainer.train()
    torch.save(model.state_dict(), "centernet_lite.pth")


if __name__ == "__main__":
    main()
