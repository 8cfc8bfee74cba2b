import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm


class ResLayer(nn.Sequential):
    def __init__(self, inplanes, planes, num_blocks, stride=1):
        layers = []
        for i in range(num_blocks):
            layers += [nn.Conv2d(inplanes if i == 0 else planes, planes, 3, stride if i == 0 else 1, 1, bias=False),
                       nn.BatchNorm2d(planes), nn.ReLU(inplace=True)]
        super().__init__(*layers)


class ResNet(nn.Module):
    def __init__(self, depth=50, frozen_stages=-1, norm_eval=False):
        super().__init__()
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.norm1 = nn.BatchNorm2d(64)
        self.res_layers = []
        inplanes = 64
        for i, planes in enumerate([64, 128, 256, 512]):
            layer_name = f"layer{i + 1}"
            self.add_module(layer_name, ResLayer(inplanes, planes, 2, 1 if i == 0 else 2))
            self.res_layers.append(layer_name)
            inplanes = planes

    def _freeze_stages(self):
        if self.frozen_stages >= 0:
            self.norm1.eval()
            for m in [self.conv1, self.norm1]:
                for param in m.parameters():
                    param.requires_grad = False
        for i in range(1, self.frozen_stages + 1):
            m = getattr(self, f"layer{i}")
            m.eval()
            for param in m.parameters():
                param.requires_grad = False

    def forward(self, x):
        x = self.norm1(self.conv1(x)).relu()
        outs = []
        for layer_name in self.res_layers:
            x = getattr(self, layer_name)(x)
            outs.append(x)
        return tuple(outs)

    def train(self, mode=True):
        """Convert the model into training mode while keep normalization layer
        freezed."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                # trick: eval have effect on BatchNorm only
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self


def train_segmentor(backbone, head, data_loader, optimizer, max_iters):
    backbone.train()
    head.train()
    it = 0
    while it < max_iters:
        for img, gt in data_loader:
            loss = nn.functional.cross_entropy(head(backbone(img)[-1]), gt)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            it += 1


if __name__ == "__main__":
    backbone = ResNet(depth=50, frozen_stages=1, norm_eval=True)
