"""Train a plain PyTorch CNN with the Hugging Face ``Trainer``.

The Trainer switches the model between train and eval mode itself
(``trainer.evaluate`` / ``trainer.predict``). The model returns a dict with
``loss`` and ``logits`` so no custom loss computation is needed.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import Dataset
from transformers import EarlyStoppingCallback, Trainer, TrainingArguments


class GlyphDataset(Dataset):
    def __init__(self, n, n_classes=62, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.rand(n, 1, 28, 28, generator=g)
        self.y = torch.randint(0, n_classes, (n,), generator=g)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return {"pixel_values": self.x[i], "labels": self.y[i]}


class GlyphCNN(nn.Module):
    def __init__(self, n_classes=62):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Dropout(0.4),
        )
        self.classifier = nn.Linear(256, n_classes)

    def forward(self, pixel_values, labels=None):
        logits = self.classifier(self.features(pixel_values))
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = F.cross_entropy(logits, labels, label_smoothing=0.05)
        return out


def compute_metrics(eval_pred):
    logits, labels = eval_pred
    preds = np.argmax(logits, axis=-1)
    top5 = np.argsort(-logits, axis=-1)[:, :5]
    return {
        "accuracy": float((preds == labels).mean()),
        "top5": float(np.mean([l in row for l, row in zip(labels, top5)])),
    }


class WarmRestartTrainer(Trainer):
    """Trainer with a cosine-with-restarts schedule built from the args."""

    def create_scheduler(self, num_training_steps, optimizer=None):
        if self.lr_scheduler is None:
            self.lr_scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
                optimizer if optimizer is not None else self.optimizer,
                T_0=max(1, num_training_steps // 4),
            )
        return self.lr_scheduler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="runs/glyphs")
    parser.add_argument("--epochs", type=float, default=12)
    args = parser.parse_args()

    train_ds, val_ds, test_ds = GlyphDataset(30000, seed=0), GlyphDataset(3000, seed=1), GlyphDataset(3000, seed=2)
    model = GlyphCNN()

    training_args = TrainingArguments(
        output_dir=args.out,
        num_train_epochs=args.epochs,
        per_device_train_batch_size=128,
        per_device_eval_batch_size=512,
        gradient_accumulation_steps=2,
        learning_rate=2e-3,
        weight_decay=0.01,
        eval_strategy="epoch",
        save_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="accuracy",
        fp16=torch.cuda.is_available(),
        dataloader_drop_last=True,
        report_to="none",
    )
    trainer = WarmRestartTrainer(
        model=model,
        args=training_args,
        train_dataset=train_ds,
        eval_dataset=val_ds,
        compute_metrics=compute_metrics,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=3)],
    )
    trainer.train()
    print(trainer.evaluate())

    output = trainer.predict(test_ds)
    test_preds = output.predictions.argmax(-1)
    print("test metrics:", output.metrics)
    print("first predictions:", test_preds[:20].tolist())

    model = trainer.model
    model.eval()
    with torch.no_grad():
        sample = torch.stack([test_ds[i]["pixel_values"] for i in range(8)]).to(next(model.parameters()).device)
        print("spot check:", model(sample)["logits"].argmax(-1).tolist())
    torch.save(model.state_dict(), f"{args.out}/glyph_cnn_best.pt")


if __name__ == "__main__":
    main()
