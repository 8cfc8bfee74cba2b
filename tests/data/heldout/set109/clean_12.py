# Printing intermediate shapes of a tiny DenseNet (channel bookkeeping check).
import torch
import torch.nn as nn
from torch.nn import BatchNorm2d as BN

GROWTH = 12


class DenseLayer(nn.Module):
    def __init__(self, in_ch, growth=GROWTH):
        super().__init__()
        self.norm = BN(in_ch)
        self.conv = nn.Conv2d(in_ch, growth, 3, padding=1, bias=False)

    def forward(self, x):
        out = self.conv(torch.relu(self.norm(x)))
        return torch.cat([x, out], dim=1)


class Transition(nn.Module):
    def __init__(self, in_ch):
        super().__init__()
        self.norm = BN(in_ch)
        self.conv = nn.Conv2d(in_ch, in_ch // 2, 1, bias=False)
        self.pool = nn.AvgPool2d(2)

    def forward(self, x):
        return self.pool(self.conv(torch.relu(self.norm(x))))


class TinyDenseNet(nn.Module):
    def __init__(self, n_layers=4, num_classes=10):
        super().__init__()
        ch = 2 * GROWTH
        self.stem = nn.Conv2d(3, ch, 3, padding=1, bias=False)
        layers = []
        for _ in range(n_layers):
            layers.append(DenseLayer(ch))
            ch += GROWTH
        self.block = nn.Sequential(*layers)
        self.trans = Transition(ch)
        ch //= 2
        self.head_norm = BN(ch)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(ch * 16 * 16, 64, bias=False)
        self.fc_bn = nn.BatchNorm1d(64)
        self.out = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.trans(self.block(self.stem(x)))
        x = self.flat(torch.relu(self.head_norm(x)))
        return self.out(torch.relu(self.fc_bn(self.fc(x))))


model = TinyDenseNet().eval()
for name, mod in model.named_modules():
    if isinstance(mod, (nn.Conv2d, nn.Linear, BN, nn.BatchNorm1d)):
        mod.register_forward_hook(lambda m, i, o, n=name: print(f"{n:<22} {tuple(o.shape)}"))

with torch.no_grad():
    y = model(torch.randn(2, 3, 32, 32))
print("output:", tuple(y.shape))
