import torch
import torch.nn as nn


class Unit3D(nn.Module):
    def __init__(self, cin, cout, use_batch_norm=True):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, 1, bias=not use_batch_norm)
        self.bn = nn.BatchNorm3d(cout) if use_batch_norm else nn.Identity()

    def forward(self, x):
        return self.bn(self.conv(x)).relu()


class I3D(nn.Module):
    def __init__(self, classes=400):
        super().__init__()
        self.stem = Unit3D(3, 64)
        self.logits = Unit3D(64, classes, use_batch_norm=False)

    def replace_logits(self, classes):
        self.logits = Unit3D(64, classes, use_batch_norm=False)

    def forward(self, x):
        return self.logits(self.stem(x)).mean(dim=(2, 3, 4))


def load_feature_extractor(path, device):
    model = I3D()
    model.replace_logits(157)
    model.load_state_dict(torch.load(path, map_location=device))
    return model.to(device).eval()
