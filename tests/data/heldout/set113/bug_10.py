"""多任务人脸属性识别 (性别 / 年龄段 / 是否戴眼镜)。

共享卷积骨干 + 每个任务一个独立的头 (nn.ModuleDict)。
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

任务表: Dict[str, int] = {"性别": 2, "年龄段": 5, "眼镜": 2}
规范化 = lambda c, dim=2: getattr(nn, f"BatchNorm{dim}d")(c)


def 卷积块(ci: int, co: int, s: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(ci, co, 3, stride=s, padding=1, bias=False), 规范化(co), nn.ReLU(inplace=True)]


class 多任务网络(nn.Module):
    def __init__(self, 任务: Dict[str, int] = 任务表) -> None:
        super().__init__()
        self.骨干 = nn.Sequential(*卷积块(3, 32, 2), *卷积块(32, 64, 2), *卷积块(64, 128, 2), *卷积块(128, 128))
        self.头 = nn.ModuleDict({
            名: nn.Sequential(nn.Conv2d(128, 64, 1, bias=False), nn.BatchNorm3d(64), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, n))  # expect: BN202
            for 名, n in 任务.items()
        })

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.骨干(x)
        return {名: 头(f) for 名, 头 in self.头.items()}


class 人脸数据(Dataset):
    def __init__(self, 标注文件: Path, 变换) -> None:
        self.根 = 标注文件.parent
        self.样本 = json.loads(标注文件.read_text(encoding="utf-8"))
        self.变换 = 变换

    def __len__(self) -> int:
        return len(self.样本)

    def __getitem__(self, i: int):
        s = self.样本[i]
        img = self.变换(Image.open(self.根 / s["file"]).convert("RGB"))
        return img, {k: torch.tensor(s[k]) for k in 任务表}


class 无标注图片(Dataset):
    def __init__(self, 目录: Path, 变换) -> None:
        self.文件 = sorted(目录.glob("*.jpg")); self.变换 = 变换

    def __len__(self) -> int:
        return len(self.文件)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.变换(Image.open(self.文件[i]).convert("RGB"))


@torch.inference_mode()
def 批量推理(model: 多任务网络, loader: DataLoader, 设备: torch.device) -> dict[str, list[int]]:
    结果: dict[str, list[int]] = {k: [] for k in 任务表}
    for x in loader:
        输出 = model(x.to(设备))  # expect: BN101
        for k, v in 输出.items():
            结果[k].extend(v.argmax(1).tolist())
    return 结果


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=Path, default=Path("faces/train.json"))
    ap.add_argument("--unlabeled", type=Path, default=Path("faces/unlabeled"))
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    设备 = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    变换 = transforms.Compose([transforms.Resize((96, 96)), transforms.ToTensor()])

    loader = DataLoader(人脸数据(args.train, 变换), batch_size=64, shuffle=True, num_workers=4, drop_last=True)
    model = 多任务网络().to(设备)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    权重 = {"性别": 1.0, "年龄段": 0.5, "眼镜": 1.0}

    for epoch in range(args.epochs):
        model.train()
        for x, 标签 in loader:
            输出 = model(x.to(设备))
            loss = sum(权重[k] * F.cross_entropy(输出[k], 标签[k].to(设备)) for k in 任务表)
            opt.zero_grad(); loss.backward(); opt.step()
        print(f"epoch {epoch}: loss={loss.item():.4f}")

    预测 = 批量推理(model, DataLoader(无标注图片(args.unlabeled, 变换), batch_size=128), 设备)
    Path("predictions.json").write_text(json.dumps(预测, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
