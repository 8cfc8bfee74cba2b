"""CI smoke run of the defect-crop fine-tuning recipe on synthetic data.

The synthetic set mirrors the real crop cache (8193 crops of 3x64x64), so the
run exercises exactly the same number of steps per epoch as production.
BatchNorm is frozen (statistics and affine) because the pretrained stats are
better than anything we can estimate from this small set.
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from rich.progress import track
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("defects")

NUM_SAMPLES = 8193
NUM_CLASSES = 5
BATCH_SIZE = 64
EPOCHS = 25
PRETRAINED = Path("weights/encoder_imagenet64.pt")


def conv_bn(in_ch: int, out_ch: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(3, 32), conv_bn(32, 32),
            conv_bn(32, 64, 2), conv_bn(64, 64),
            conv_bn(64, 128, 2), conv_bn(128, 128),
            conv_bn(128, 256, 2), conv_bn(256, 256),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(self.body(x), 1).flatten(1)


class DefectNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(256, NUM_CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def freeze_bn(model: nn.Module) -> None:
    """Freeze running stats and affine params of every BN layer."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)


def main() -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_set = TensorDataset(torch.rand(NUM_SAMPLES, 3, 64, 64), torch.randint(0, NUM_CLASSES, (NUM_SAMPLES,)))
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=2)  # expect: BN302

    model = DefectNet()
    state = torch.load(PRETRAINED, map_location="cpu", weights_only=True)
    model.encoder.load_state_dict(state)
    model.to(device)
    freeze_bn(model)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=3e-4, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS * len(train_loader))

    for epoch in range(EPOCHS):
        model.train()  # expect: BN105
        seen, loss_sum = 0, 0.0
        for images, labels in track(train_loader, description=f"epoch {epoch}"):
            images, labels = images.to(device), labels.to(device)
            logits = model(images)
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            seen += labels.numel()
            loss_sum += loss.item() * labels.numel()
        log.info("epoch %d train_loss %.4f", epoch, loss_sum / seen)

    torch.save(model.state_dict(), "defectnet_finetuned.pt")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
