"""Detection-style backbone with frozen stages and frozen BatchNorm (kept in eval)."""
import torch
import torch.nn as nn
from torchvision.models import resnet50, ResNet50_Weights


class FrozenStageBackbone(nn.Module):
    """ResNet-50 trunk; stem and first `frozen_stages` stages are frozen, all BN kept in eval."""

    def __init__(self, frozen_stages=1, norm_eval=True, pretrained=True):
        super().__init__()
        weights = ResNet50_Weights.IMAGENET1K_V1 if pretrained else None
        net = resnet50(weights=weights)
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.stages = nn.ModuleList([net.layer1, net.layer2, net.layer3, net.layer4])
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self._freeze_stages()

    def _freeze_stages(self):
        if self.frozen_stages >= 0:
            self.stem.eval()
            for p in self.stem.parameters():
                p.requires_grad = False
        for i in range(self.frozen_stages):
            stage = self.stages[i]
            stage.eval()
            for p in stage.parameters():
                p.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def forward(self, x):
        x = self.stem(x)
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs


class SimpleFPNHead(nn.Module):
    def __init__(self, in_channels=(256, 512, 1024, 2048), out_ch=256, num_classes=80):
        super().__init__()
        self.lateral = nn.ModuleList([nn.Conv2d(c, out_ch, 1) for c in in_channels])
        self.cls = nn.Conv2d(out_ch, num_classes, 3, padding=1)

    def forward(self, feats):
        p = self.lateral[-1](feats[-1])
        for lat, f in zip(reversed(self.lateral[:-1]), reversed(feats[:-1])):
            p = nn.functional.interpolate(p, size=f.shape[-2:], mode="nearest") + lat(f)
        return self.cls(p)


def train(model, loader, optimizer, criterion, epochs=12):
    for epoch in range(epochs):
        model.train()
        for images, targets in loader:
            loss = criterion(model(images), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} loss {loss.item():.4f}")


if __name__ == "__main__":
    backbone = FrozenStageBackbone(frozen_stages=1)
    model = nn.Sequential(backbone, SimpleFPNHead())
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.02, momentum=0.9, weight_decay=1e-4)
    model.train()
    bn_modes = {m.training for m in model.modules() if isinstance(m, nn.BatchNorm2d)}
    print("any BN in training mode:", True in bn_modes)
