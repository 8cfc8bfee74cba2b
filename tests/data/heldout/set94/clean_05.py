#!/usr/bin/env python
# Age regression from face crops, trained with HuggingFace Accelerate.
# accelerate launch --multi_gpu --num_processes 4 clean_05.py --batch_size 32
import argparse
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.logging import get_logger
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from tqdm.auto import tqdm

logger = get_logger(__name__)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--train_dir", default="data/utkface/train")
    p.add_argument("--val_dir", default="data/utkface/val")
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--grad_accum", type=int, default=1)
    p.add_argument("--output_dir", default="out/age")
    p.add_argument("--mixed_precision", default="fp16")
    return p.parse_args()


class AgeNet(nn.Module):
    def __init__(self, width=48):
        super().__init__()
        chans = [3, width, width * 2, width * 4, width * 8]
        blocks = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            blocks += [nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                       nn.BatchNorm2d(cout),
                       nn.SiLU(),
                       nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                       nn.BatchNorm2d(cout),
                       nn.SiLU(),
                       nn.MaxPool2d(2)]
        self.features = nn.Sequential(*blocks)
        self.regressor = nn.Sequential(
            nn.Flatten(),
            nn.Linear(chans[-1], 128, bias=False),
            nn.BatchNorm1d(128),
            nn.SiLU(),
            nn.Linear(128, 1),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return self.regressor(self.pool(self.features(x))).squeeze(1)


def age_from_folder(target):
    # ImageFolder class index == age bucket index (one folder per year of age)
    return float(target)


def main():
    args = parse_args()
    accelerator = Accelerator(mixed_precision=args.mixed_precision,
                              gradient_accumulation_steps=args.grad_accum)
    norm = transforms.Normalize([0.5] * 3, [0.5] * 3)
    train_ds = datasets.ImageFolder(args.train_dir, transforms.Compose([
        transforms.RandomResizedCrop(112, scale=(0.8, 1.0)),
        transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]),
        target_transform=age_from_folder)
    val_ds = datasets.ImageFolder(args.val_dir, transforms.Compose([
        transforms.Resize(112), transforms.CenterCrop(112), transforms.ToTensor(), norm]),
        target_transform=age_from_folder)
    train_dl = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True,
                          num_workers=6, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=128, num_workers=6)

    model = AgeNet()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model) if accelerator.num_processes > 1 else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    steps_per_epoch = math.ceil(len(train_dl) / args.grad_accum)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr,
                                                    total_steps=args.epochs * steps_per_epoch)
    model, optimizer, train_dl, val_dl, scheduler = accelerator.prepare(
        model, optimizer, train_dl, val_dl, scheduler)

    best_mae = float("inf")
    for epoch in range(args.epochs):
        model.train()
        progress = tqdm(train_dl, disable=not accelerator.is_local_main_process)
        for images, ages in progress:
            with accelerator.accumulate(model):
                pred = model(images)
                loss = F.smooth_l1_loss(pred, ages.float())
                accelerator.backward(loss)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            progress.set_description(f"epoch {epoch} loss {loss.item():.3f}")

        model.eval()
        abs_err, count = 0.0, 0
        for images, ages in val_dl:
            with torch.no_grad():
                pred = model(images)
            pred, ages = accelerator.gather_for_metrics((pred, ages))
            abs_err += (pred.float() - ages.float()).abs().sum().item()
            count += ages.numel()
        mae = abs_err / count
        accelerator.print(f"epoch {epoch}: val MAE {mae:.2f} years")

        if mae < best_mae:
            best_mae = mae
            accelerator.wait_for_everyone()
            if accelerator.is_main_process:
                os.makedirs(args.output_dir, exist_ok=True)
                unwrapped = accelerator.unwrap_model(model)
                accelerator.save(unwrapped.state_dict(),
                                 os.path.join(args.output_dir, "best.pt"))

    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        export_model = AgeNet()
        export_model.load_state_dict(torch.load(os.path.join(args.output_dir, "best.pt"),
                                                map_location="cpu"))
        export_model.eval()
        torch.onnx.export(export_model, torch.randn(1, 3, 112, 112),
                          os.path.join(args.output_dir, "agenet.onnx"),
                          input_names=["image"], output_names=["age"],
                          dynamic_axes={"image": {0: "n"}, "age": {0: "n"}})
    accelerator.end_training()


if __name__ == "__main__":
    main()
