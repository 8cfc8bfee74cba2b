"""ResNet-18 backbone with mmdet-style `frozen_stages` / `norm_eval`."""
import torch
import torch.nn as nn

from utils import freeze_bn
from .blocks import BasicBlock


class ResNetBackbone(nn.Module):
    def __init__(self, widths=(64, 128, 256, 512), depths=(2, 2, 2, 2), frozen_stages=-1,
                 norm_eval=False):
        super().__init__()
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        )
        inplanes = widths[0]
        for i, (w, d) in enumerate(zip(widths, depths)):
            blocks = [BasicBlock(inplanes, w, stride=1 if i == 0 else 2)]
            blocks += [BasicBlock(w, w) for _ in range(d - 1)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
            inplanes = w
        self.num_stages = len(widths)
        self.out_channels = inplanes
        self._freeze_stages()

    def _freeze_stages(self):
        for i in range(self.frozen_stages + 1):
            m = self.stem if i == 0 else getattr(self, f"layer{i}")
            m.eval()
            for p in m.parameters():
                p.requires_grad = False

    def train(self, mode=True):
        """Re-apply the freezing every time the model is switched to training mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            freeze_bn(self)
        return self

    def forward(self, x):
        x = self.stem(x)
        for i in range(1, self.num_stages + 1):
            x = getattr(self, f"layer{i}")(x)
        return x

    def load_pretrained(self, path):
        state = torch.load(path, map_location="cpu")
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
        self.load_state_dict(state, strict=False)
