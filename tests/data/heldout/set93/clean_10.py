"""Tabular classification with PyTorch Lightning.

Lightning switches the module to eval mode around validation/test/predict
loops, so the *_step methods below do not call eval() themselves.
"""
from __future__ import annotations

import argparse
from typing import List, Optional, Sequence

import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from pytorch_lightning.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset, random_split

NUM_NUMERIC = 24
CARDINALITIES = (12, 7, 31, 250, 5)
NUM_CLASSES = 3


def embedding_dim(cardinality: int) -> int:
    return min(32, (cardinality + 1) // 2)


class TabularNet(nn.Module):
    def __init__(self, num_numeric: int = NUM_NUMERIC, cardinalities: Sequence[int] = CARDINALITIES,
                 hidden: Sequence[int] = (256, 128, 64), dropout: float = 0.15,
                 num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(c, embedding_dim(c)) for c in cardinalities)
        emb_total = sum(embedding_dim(c) for c in cardinalities)
        # normalise raw numeric inputs: a (N, F) tensor
        self.numeric_norm = nn.BatchNorm1d(num_numeric)
        # each embedding is looked up with a (N,) index column -> (N, E); concat -> (N, sum E)
        self.embed_norm = nn.BatchNorm1d(emb_total)
        layers: List[nn.Module] = []
        prev = num_numeric + emb_total
        for h in hidden:
            layers += [nn.Linear(prev, h, bias=False), nn.BatchNorm1d(h), nn.SiLU(), nn.Dropout(dropout)]
            prev = h
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(prev, num_classes)

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        embs = [emb(x_cat[:, i]) for i, emb in enumerate(self.embeddings)]
        e = self.embed_norm(torch.cat(embs, dim=1))
        x = torch.cat([self.numeric_norm(x_num), e], dim=1)
        return self.out(self.mlp(x))


class TabularModule(pl.LightningModule):
    def __init__(self, lr: float = 3e-3, weight_decay: float = 1e-4, label_smoothing: float = 0.05,
                 **net_kwargs) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = TabularNet(**net_kwargs)

    def forward(self, x_num, x_cat):
        return self.net(x_num, x_cat)

    def _shared(self, batch):
        x_num, x_cat, y = batch
        logits = self(x_num, x_cat)
        loss = F.cross_entropy(logits, y, label_smoothing=self.hparams.label_smoothing)
        acc = (logits.argmax(dim=1) == y).float().mean()
        return loss, acc, logits

    def training_step(self, batch, batch_idx):
        loss, acc, _ = self._shared(batch)
        self.log_dict({"train/loss": loss, "train/acc": acc}, prog_bar=True, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        loss, acc, _ = self._shared(batch)
        self.log_dict({"val/loss": loss, "val/acc": acc}, prog_bar=True, sync_dist=True)

    def test_step(self, batch, batch_idx):
        loss, acc, _ = self._shared(batch)
        self.log_dict({"test/loss": loss, "test/acc": acc}, sync_dist=True)

    def predict_step(self, batch, batch_idx, dataloader_idx: int = 0):
        x_num, x_cat = batch[0], batch[1]
        return F.softmax(self(x_num, x_cat), dim=1)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr,
                                weight_decay=self.hparams.weight_decay)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=self.hparams.lr, total_steps=self.trainer.estimated_stepping_batches)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


class TabularDataModule(pl.LightningDataModule):
    def __init__(self, n_rows: int = 100_000, batch_size: int = 512, num_workers: int = 4) -> None:
        super().__init__()
        self.n_rows = n_rows
        self.batch_size = batch_size
        self.num_workers = num_workers

    def setup(self, stage: Optional[str] = None) -> None:
        g = torch.Generator().manual_seed(0)
        x_num = torch.randn(self.n_rows, NUM_NUMERIC, generator=g)
        x_cat = torch.stack([torch.randint(0, c, (self.n_rows,), generator=g) for c in CARDINALITIES], 1)
        y = torch.randint(0, NUM_CLASSES, (self.n_rows,), generator=g)
        full = TensorDataset(x_num, x_cat, y)
        n_val = n_test = self.n_rows // 10
        self.train_set, self.val_set, self.test_set = random_split(
            full, [self.n_rows - n_val - n_test, n_val, n_test], generator=g)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True,
                          num_workers=self.num_workers, drop_last=True, persistent_workers=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=2 * self.batch_size, num_workers=self.num_workers)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=2 * self.batch_size, num_workers=self.num_workers)

    def predict_dataloader(self):
        return self.test_dataloader()


class BatchNormHealth(pl.Callback):
    """Logs the spread of BatchNorm running variances at the end of each epoch."""

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        for name, m in pl_module.named_modules():
            if isinstance(m, nn.BatchNorm1d) and m.track_running_stats:
                var = m.running_var.detach()
                pl_module.log(f"bn/{name}/var_min", var.min(), on_epoch=True)
                pl_module.log(f"bn/{name}/var_max", var.max(), on_epoch=True)


class TemperatureScaler(nn.Module):
    """Post-hoc calibration: a single temperature fitted on validation logits."""

    def __init__(self) -> None:
        super().__init__()
        self.log_t = nn.Parameter(torch.zeros(1))

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        return logits / self.log_t.exp()


@torch.no_grad()
def collect_logits(module: TabularModule, loader: DataLoader):
    module.eval()
    logits, labels = [], []
    for x_num, x_cat, y in loader:
        logits.append(module(x_num.to(module.device), x_cat.to(module.device)).float().cpu())
        labels.append(y)
    return torch.cat(logits), torch.cat(labels)


def fit_temperature(module: TabularModule, loader: DataLoader, steps: int = 200) -> float:
    logits, labels = collect_logits(module, loader)
    scaler = TemperatureScaler()
    opt = torch.optim.LBFGS(scaler.parameters(), lr=0.05, max_iter=steps)

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(scaler(logits), labels)
        loss.backward()
        return loss

    opt.step(closure)
    return float(scaler.log_t.exp())


def export(module: TabularModule, path: str) -> None:
    module.eval()
    example = (torch.randn(2, NUM_NUMERIC), torch.zeros(2, len(CARDINALITIES), dtype=torch.long))
    torch.onnx.export(module.net, example, path, input_names=["numeric", "categorical"],
                      output_names=["logits"], dynamic_axes={"numeric": {0: "n"}, "categorical": {0: "n"}})


def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--max-epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--devices", type=int, default=1)
    p.add_argument("--export", default="tabular.onnx")
    args = p.parse_args(argv)

    pl.seed_everything(42, workers=True)
    dm = TabularDataModule(batch_size=args.batch_size)
    module = TabularModule(lr=args.lr)
    ckpt = ModelCheckpoint(monitor="val/acc", mode="max", save_top_k=2, save_last=True)
    trainer = pl.Trainer(
        max_epochs=args.max_epochs,
        devices=args.devices,
        strategy="ddp" if args.devices > 1 else "auto",
        sync_batchnorm=args.devices > 1,
        precision="16-mixed",
        accumulate_grad_batches=2,
        gradient_clip_val=1.0,
        callbacks=[ckpt, EarlyStopping(monitor="val/acc", mode="max", patience=6),
                   LearningRateMonitor(logging_interval="step"), BatchNormHealth()],
    )
    trainer.fit(module, datamodule=dm)
    trainer.test(module, datamodule=dm, ckpt_path="best")
    probs = torch.cat(trainer.predict(module, datamodule=dm, ckpt_path="best"))
    print("mean predicted class distribution:", probs.mean(0).tolist())
    best = TabularModule.load_from_checkpoint(ckpt.best_model_path)
    dm.setup("validate")
    temperature = fit_temperature(best, dm.val_dataloader())
    print(f"fitted softmax temperature: {temperature:.3f}")
    export(best, args.export)


if __name__ == "__main__":
    main()
