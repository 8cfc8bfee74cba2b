"""Build the PyTorch Mobile (lite interpreter) artifact for the plant-disease app.

We script (not trace) the model because the forward has a data-dependent
branch for grayscale inputs.
"""
import argparse
import hashlib
from pathlib import Path

import torch
from torch import nn, Tensor
from torch.utils.mobile_optimizer import optimize_for_mobile


class SEBlock(nn.Module):
    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))


class MBConv(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int = 4):
        super().__init__()
        mid = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.expand = nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.Hardswish())
        self.dw = nn.Sequential(nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.Hardswish())
        self.se = SEBlock(mid)
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(num_features=cout, eps=1e-3, momentum=0.01))

    def forward(self, x: Tensor) -> Tensor:
        out = self.project(self.se(self.dw(self.expand(x))))
        if self.use_res:
            out = out + x
        return out


class PlantNet(nn.Module):
    def __init__(self, num_classes: int = 38):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.Hardswish())
        self.blocks = nn.Sequential(
            MBConv(16, 24, 2),
            MBConv(24, 24, 1),
            MBConv(24, 40, 2),
            MBConv(40, 80, 2),
            MBConv(80, 80, 1),
        )
        self.head = nn.Sequential(
            nn.Linear(80, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.Hardswish(),
            nn.Linear(256, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.size(1) == 1:
            x = x.expand(-1, 3, -1, -1)
        x = self.blocks(self.stem(x))
        return self.head(x.mean((2, 3)))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", type=Path, default=Path("weights/plantnet.pt"))
    parser.add_argument("--out", type=Path, default=Path("app/src/main/assets/plantnet.ptl"))
    parser.add_argument("--no-optimize", action="store_true")
    args = parser.parse_args()

    model = PlantNet(num_classes=38)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.train(False)

    scripted = torch.jit.script(model)
    if not args.no_optimize:
        scripted = optimize_for_mobile(scripted)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    scripted._save_for_lite_interpreter(str(args.out))
    print(f"saved {args.out} sha256={sha256(args.out)}")


if __name__ == "__main__":
    main()
