"""ResNet backbone with ``frozen_stages`` and ``norm_eval`` (mmdetection style).

Object detection fine-tuning keeps the ImageNet BN statistics: with
``norm_eval=True`` every BN layer is put back into eval mode each time
``train()`` is called, and the first ``frozen_stages`` stages get no
gradients. Because the override lives in ``train()`` itself, calling
``model.train()`` at the start of every epoch cannot undo the freezing.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm
from torchvision.models import ResNet50_Weights, resnet50


class FrozenStagesResNet(nn.Module):
    def __init__(self, frozen_stages=1, norm_eval=True, pretrained=True):
        super().__init__()
        weights = ResNet50_Weights.IMAGENET1K_V2 if pretrained else None
        r = resnet50(weights=weights)
        self.conv1, self.bn1, self.relu, self.maxpool = r.conv1, r.bn1, r.relu, r.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = r.layer1, r.layer2, r.layer3, r.layer4
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self._freeze_stages()

    def _freeze_stages(self):
        if self.frozen_stages >= 0:
            self.bn1.eval()
            for m in (self.conv1, self.bn1):
                for param in m.parameters():
                    param.requires_grad = False
        for i in range(1, self.frozen_stages + 1):
            stage = getattr(self, f"layer{i}")
            stage.eval()
            for param in stage.parameters():
                param.requires_grad = False

    def train(self, mode=True):
        """Convert the model into training mode while keeping the norm layers frozen."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        c2 = self.layer1(x)
        c3 = self.layer2(c2)
        c4 = self.layer3(c3)
        c5 = self.layer4(c4)
        return c2, c3, c4, c5


class SimpleFPN(nn.Module):
    def __init__(self, in_channels=(256, 512, 1024, 2048), out_channels=256):
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)
        self.output = nn.ModuleList(nn.Conv2d(out_channels, out_channels, 3, padding=1)
                                    for _ in in_channels)

    def forward(self, feats):
        laterals = [l(f) for l, f in zip(self.lateral, feats)]
        for i in range(len(laterals) - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + F.interpolate(
                laterals[i], size=laterals[i - 1].shape[-2:], mode="nearest")
        return [o(l) for o, l in zip(self.output, laterals)]


class CenterHeatmapDetector(nn.Module):
    """CenterNet-like head on the stride-4 FPN level."""

    def __init__(self, num_classes=80):
        super().__init__()
        self.backbone = FrozenStagesResNet(frozen_stages=1, norm_eval=True)
        self.neck = SimpleFPN()
        self.heatmap = nn.Sequential(nn.Conv2d(256, 256, 3, padding=1), nn.GroupNorm(32, 256),
                                     nn.ReLU(inplace=True), nn.Conv2d(256, num_classes, 1))
        self.wh = nn.Sequential(nn.Conv2d(256, 256, 3, padding=1), nn.GroupNorm(32, 256),
                                nn.ReLU(inplace=True), nn.Conv2d(256, 2, 1))
        nn.init.constant_(self.heatmap[-1].bias, -2.19)

    def forward(self, images):
        p2 = self.neck(self.backbone(images))[0]
        return self.heatmap(p2), self.wh(p2)


def focal_heatmap_loss(pred, gt, alpha=2, beta=4):
    pred = pred.sigmoid().clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    neg = 1 - pos
    pos_loss = (torch.log(pred) * (1 - pred) ** alpha * pos).sum()
    neg_loss = (torch.log(1 - pred) * pred ** alpha * (1 - gt) ** beta * neg).sum()
    return -(pos_loss + neg_loss) / pos.sum().clamp(min=1)


def train(model, loader, epochs=24, lr=2.5e-4, device="cuda"):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    for epoch in range(epochs):
        model.train()  # BN stays in eval: FrozenStagesResNet.train() re-freezes it
        for images, gt_heatmap, gt_wh, wh_mask in loader:
            hm, wh = model(images.to(device))
            loss = focal_heatmap_loss(hm, gt_heatmap.to(device))
            loss = loss + 0.1 * (F.l1_loss(wh, gt_wh.to(device), reduction="none")
                                 * wh_mask.to(device)).sum() / wh_mask.sum().clamp(min=1)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")
    return model
