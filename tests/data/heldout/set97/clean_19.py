"""Step-based training of an audio-tagging CNN on log-mel spectrograms.

Validation runs every `val_interval` optimizer steps from *inside* the
training loop; the helpers restore training mode before returning.
Multi-GPU on a single box via nn.DataParallel.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchmetrics.classification import MultilabelAveragePrecision

log = logging.getLogger("audiotag")


@dataclass
class StepConfig:
    feats_dir: Path = Path("/data/audioset_mels")
    num_tags: int = 527
    batch_size: int = 64
    max_steps: int = 200_000
    val_interval: int = 2_000
    lr: float = 5e-4


class MelDataset(Dataset):
    def __init__(self, root: Path, split: str) -> None:
        self.files = sorted((root / split).glob("*.pt"))

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        item = torch.load(self.files[i], weights_only=True)
        return item["mel"].unsqueeze(0), item["tags"].float()


def conv_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.AvgPool2d(2),
    )


class CNN10(nn.Module):
    def __init__(self, num_tags: int) -> None:
        super().__init__()
        self.bn0 = nn.BatchNorm2d(1)
        self.blocks = nn.Sequential(conv_block(1, 64), conv_block(64, 128), conv_block(128, 256), conv_block(256, 512))
        self.fc = nn.Linear(512, 512)
        self.out = nn.Linear(512, num_tags)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.bn0(x))
        x = x.mean(dim=3).amax(dim=2)
        return self.out(F.relu(self.fc(x)))


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def run_validation(model: nn.Module, loader: DataLoader, metric: MultilabelAveragePrecision,
                   device: torch.device) -> float:
    model.eval()
    metric.reset()
    with torch.no_grad():
        for mel, tags in loader:
            metric.update(torch.sigmoid(model(mel.to(device))), tags.to(device).long())
    score = metric.compute().item()
    model.train()
    return score


def log_examples(model: nn.Module, batch: torch.Tensor, step: int) -> None:
    with eval_mode(model), torch.no_grad():
        probs = torch.sigmoid(model(batch))
    top = probs.topk(3, dim=1).indices.tolist()
    log.info("step %d example top-3 tags: %s", step, top[:4])


def infinite(loader: DataLoader) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    while True:
        yield from loader


def main(cfg: StepConfig = StepConfig()) -> None:
    device = torch.device("cuda")
    model = nn.DataParallel(CNN10(cfg.num_tags)).to(device)
    train_loader = DataLoader(MelDataset(cfg.feats_dir, "balanced_train"), batch_size=cfg.batch_size,
                              shuffle=True, num_workers=12, pin_memory=True, drop_last=True)
    val_loader = DataLoader(MelDataset(cfg.feats_dir, "eval"), batch_size=128, num_workers=8)
    metric = MultilabelAveragePrecision(num_labels=cfg.num_tags).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, amsgrad=True)
    scaler = torch.amp.GradScaler("cuda")
    fixed_batch = next(iter(val_loader))[0][:8].to(device)

    model.train()
    for step, (mel, tags) in enumerate(infinite(train_loader), start=1):
        mel, tags = mel.to(device, non_blocking=True), tags.to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.float16):
            loss = F.binary_cross_entropy_with_logits(model(mel), tags)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

        if step % cfg.val_interval == 0:
            mAP = run_validation(model, val_loader, metric, device)
            log.info("step %d loss %.4f mAP %.4f", step, loss.item(), mAP)
            log_examples(model, fixed_batch, step)
            torch.save(model.module.state_dict(), f"cnn10_step{step}.pt")
        if step >= cfg.max_steps:
            break


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
