import torch.nn as nn

import configs as C
from .blocks import ConvBNAct, YBlock


class RegNetBackbone(nn.Module):
    def __init__(self, stem_width=C.STEM_WIDTH, widths=C.STAGE_WIDTHS, depths=C.STAGE_DEPTHS,
                 group_width=C.GROUP_WIDTH, se_ratio=C.SE_RATIO):
        super().__init__()
        # 64x64 inputs: stride-1 stem keeps enough resolution for 4 stages
        self.stem = ConvBNAct(3, stem_width, k=3, stride=1)
        stages = []
        prev = stem_width
        for w, d in zip(widths, depths):
            blocks = []
            for i in range(d):
                blocks.append(YBlock(prev, w, 2 if i == 0 else 1, group_width, se_ratio))
                prev = w
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.out_channels = prev
        self._init_weights()

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.stages(self.stem(x))
