"""Fine-tune a small CNN classifier with PyTorch Lightning.

The backbone is kept frozen for the first ``freeze_epochs`` epochs so that
the freshly initialised head can settle, then the whole network is trained.
After fitting, ``predict_images`` reloads the best checkpoint for a quick
offline prediction pass.
"""
import argparse

import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics.classification import MulticlassAccuracy


def conv_block(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class Backbone(nn.Module):
    def __init__(self, width: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            conv_block(3, width),
            conv_block(width, width),
            nn.MaxPool2d(2),
            conv_block(width, width * 2),
            conv_block(width * 2, width * 2),
            nn.MaxPool2d(2),
            conv_block(width * 2, width * 4),
            nn.AdaptiveAvgPool2d(1),
        )
        self.out_dim = width * 4

    def forward(self, x):
        return torch.flatten(self.features(x), 1)


class FineTuneClassifier(L.LightningModule):
    def __init__(self, num_classes: int = 10, lr: float = 1e-3, freeze_epochs: int = 3):
        super().__init__()
        self.save_hyperparameters()
        self.backbone = Backbone()
        self.head = nn.Linear(self.backbone.out_dim, num_classes)
        self.val_acc = MulticlassAccuracy(num_classes=num_classes)
        self.test_acc = MulticlassAccuracy(num_classes=num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))

    def on_train_epoch_start(self):
        if self.current_epoch < self.hparams.freeze_epochs:
            self.backbone.requires_grad_(False)  # expect: BN105
        else:
            self.backbone.requires_grad_(True)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_acc(logits, y)
        self.log("val/loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val/acc", self.val_acc, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.test_acc(self(x), y)
        self.log("test/acc", self.test_acc)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=0.05)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)
        return {"optimizer": opt, "lr_scheduler": sched}


def make_loaders(batch_size: int, num_classes: int):
    g = torch.Generator().manual_seed(0)
    x_train = torch.randn(2048, 3, 32, 32, generator=g)
    y_train = torch.randint(0, num_classes, (2048,), generator=g)
    x_val = torch.randn(512, 3, 32, 32, generator=g)
    y_val = torch.randint(0, num_classes, (512,), generator=g)
    train = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True, num_workers=2)
    val = DataLoader(TensorDataset(x_val, y_val), batch_size=batch_size * 2, num_workers=2)
    return train, val


def load_for_inference(ckpt_path: str, num_classes: int) -> FineTuneClassifier:
    model = FineTuneClassifier(num_classes=num_classes)
    state = torch.load(ckpt_path, map_location="cpu")
    model.load_state_dict(state["state_dict"])
    return model


@torch.no_grad()
def predict_images(ckpt_path: str, images: torch.Tensor, num_classes: int = 10):
    model = load_for_inference(ckpt_path, num_classes)
    logits = model(images)  # expect: BN101
    probs = logits.softmax(dim=-1)
    return probs.argmax(dim=-1), probs.max(dim=-1).values


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--freeze-epochs", type=int, default=3)
    parser.add_argument("--num-classes", type=int, default=10)
    args = parser.parse_args()

    L.seed_everything(42)
    train_loader, val_loader = make_loaders(args.batch_size, args.num_classes)
    model = FineTuneClassifier(args.num_classes, args.lr, args.freeze_epochs)

    ckpt_cb = ModelCheckpoint(monitor="val/acc", mode="max", save_top_k=1, filename="best")
    trainer = L.Trainer(
        max_epochs=args.epochs,
        accelerator="auto",
        precision="16-mixed" if torch.cuda.is_available() else 32,
        callbacks=[ckpt_cb, EarlyStopping(monitor="val/acc", mode="max", patience=5),
                   LearningRateMonitor("epoch")],
        log_every_n_steps=10,
    )
    trainer.fit(model, train_loader, val_loader)
    trainer.test(model, dataloaders=val_loader, ckpt_path="best")

    sample = torch.randn(16, 3, 32, 32)
    labels, confidence = predict_images(ckpt_cb.best_model_path, sample, args.num_classes)
    for i, (lab, conf) in enumerate(zip(labels.tolist(), confidence.tolist())):
        print(f"sample {i:02d}: class={lab} p={conf:.3f}")


if __name__ == "__main__":
    main()
