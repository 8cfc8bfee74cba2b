# Accelerate training script for an audio-spectrogram classifier.
#   accelerate launch bug_05.py
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.utils.data import DataLoader, Dataset
from transformers import get_cosine_schedule_with_warmup

config = {
    "seed": 1234,
    "lr": 1e-3,
    "weight_decay": 0.05,
    "train_batch_size": 32,
    "eval_batch_size": 64,
    "num_epochs": 25,
    "gradient_accumulation_steps": 2,
    "warmup_ratio": 0.05,
    "n_mels": 64,
    "num_classes": 35,
    "mixed_precision": "bf16",
}


class SpectrogramDataset(Dataset):
    def __init__(self, index_file):
        with open(index_file) as fh:
            self.rows = [line.strip().split("\t") for line in fh if line.strip()]

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        path, label = self.rows[i]
        spec = torch.load(path)  # (n_mels, frames)
        return {"spec": spec.unsqueeze(0), "label": int(label)}


def collate(batch):
    frames = max(b["spec"].shape[-1] for b in batch)
    specs = torch.stack([F.pad(b["spec"], (0, frames - b["spec"].shape[-1])) for b in batch])
    labels = torch.tensor([b["label"] for b in batch])
    return {"spec": specs, "label": labels}


class AudioCNN(nn.Module):
    def __init__(self, num_classes, n_mels=64):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64, 0.1),  # expect: BN206
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(),
        )
        self.proj = nn.Linear(128, 256)  # expect: BN204
        self.proj_bn = nn.BatchNorm1d(256)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.conv(x)
        x = x.mean(dim=(2, 3))
        x = F.relu(self.proj_bn(self.proj(x)))
        return self.fc(x)


def main():
    accelerator = Accelerator(
        mixed_precision=config["mixed_precision"],
        gradient_accumulation_steps=config["gradient_accumulation_steps"],
        log_with="tensorboard",
        project_dir="runs/audio",
    )
    set_seed(config["seed"])

    train_ds = SpectrogramDataset("data/train.tsv")
    eval_ds = SpectrogramDataset("data/valid.tsv")
    train_dl = DataLoader(train_ds, batch_size=config["train_batch_size"], shuffle=True,
                          collate_fn=collate, num_workers=4, drop_last=True)
    eval_dl = DataLoader(eval_ds, batch_size=config["eval_batch_size"], collate_fn=collate)

    model = AudioCNN(config["num_classes"], config["n_mels"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"],
                                  weight_decay=config["weight_decay"])
    steps = math.ceil(len(train_dl) / config["gradient_accumulation_steps"]) * config["num_epochs"]
    scheduler = get_cosine_schedule_with_warmup(
        optimizer, int(config["warmup_ratio"] * steps), steps)

    model, optimizer, train_dl, eval_dl, scheduler = accelerator.prepare(
        model, optimizer, train_dl, eval_dl, scheduler)
    accelerator.init_trackers("audio_cnn", config=config)

    best_acc = 0.0
    global_step = 0
    for epoch in range(config["num_epochs"]):
        model.train()
        for batch in train_dl:
            with accelerator.accumulate(model):
                logits = model(batch["spec"])
                loss = F.cross_entropy(logits, batch["label"])
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            if accelerator.sync_gradients:
                global_step += 1
                accelerator.log({"train/loss": loss.item()}, step=global_step)

        correct, total = 0, 0
        for batch in eval_dl:
            with torch.no_grad():
                logits = model(batch["spec"])  # expect: BN101
            preds = logits.argmax(dim=-1)
            preds, refs = accelerator.gather_for_metrics((preds, batch["label"]))
            correct += (preds == refs).sum().item()
            total += refs.numel()
        acc = correct / total
        accelerator.print(f"epoch {epoch}: accuracy {acc:.4f}")
        accelerator.log({"eval/accuracy": acc}, step=global_step)

        if acc > best_acc:
            best_acc = acc
            accelerator.wait_for_everyone()
            accelerator.save_state(os.path.join("runs/audio", "best"))

    accelerator.end_training()


if __name__ == "__main__":
    main()
