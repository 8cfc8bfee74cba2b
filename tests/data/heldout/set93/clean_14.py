"""Config-driven tabular trainer with early stopping and stochastic weight
averaging (SWA).

After SWA the BatchNorm statistics of the averaged model are recomputed with
``torch.optim.swa_utils.update_bn`` (which runs the model in training mode on
purpose) before the averaged model is evaluated in eval mode.
"""
from __future__ import annotations

import argparse
import copy
import json
import logging
import math
from typing import Any, Callable, Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("swa")

DEFAULT_CONFIG: Dict[str, Any] = {
    "seed": 0,
    "data": {"num_train": 10_001, "num_val": 2_000, "num_features": 64, "batch_size": 100,
             "drop_last": True},
    "model": {"hidden": [512, 256, 128], "num_classes": 5, "dropout": 0.1, "bn_momentum": 0.05},
    "optim": {"lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4, "epochs": 60},
    "swa": {"enabled": True, "start_epoch": 45, "lr": 0.01},
    "early_stopping": {"patience": 10, "min_delta": 1e-4},
}


def deep_update(base: Dict[str, Any], override: Dict[str, Any]) -> Dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in override.items():
        out[k] = deep_update(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


class MLP(nn.Module):
    def __init__(self, in_features: int, hidden: List[int], num_classes: int,
                 dropout: float = 0.1, bn_momentum: float = 0.1) -> None:
        super().__init__()
        blocks: List[nn.Module] = []
        prev = in_features
        for width in hidden:
            blocks += [
                nn.Linear(prev, width, bias=False),
                nn.BatchNorm1d(width, momentum=bn_momentum),
                nn.ReLU(inplace=True),
                nn.Dropout(dropout),
            ]
            prev = width
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class EarlyStopper:
    def __init__(self, patience: int, min_delta: float) -> None:
        self.patience, self.min_delta = patience, min_delta
        self.best = math.inf
        self.count = 0

    def step(self, value: float) -> bool:
        if value < self.best - self.min_delta:
            self.best, self.count = value, 0
            return False
        self.count += 1
        return self.count >= self.patience


Hook = Callable[["Trainer", int, Dict[str, float]], None]


class Trainer:
    def __init__(self, cfg: Dict[str, Any]) -> None:
        self.cfg = cfg
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        m = cfg["model"]
        self.model = MLP(cfg["data"]["num_features"], m["hidden"], m["num_classes"],
                         m["dropout"], m["bn_momentum"]).to(self.device)
        o = cfg["optim"]
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=o["lr"], momentum=o["momentum"],
                                         weight_decay=o["weight_decay"])
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=o["epochs"])
        self.swa_model: Optional[AveragedModel] = None
        self.swa_scheduler: Optional[SWALR] = None
        if cfg["swa"]["enabled"]:
            self.swa_model = AveragedModel(self.model)
            self.swa_scheduler = SWALR(self.optimizer, swa_lr=cfg["swa"]["lr"])
        self.hooks: Dict[str, List[Hook]] = {"on_epoch_end": [], "on_fit_end": []}
        self.best_state: Optional[Dict[str, torch.Tensor]] = None

    def add_hook(self, event: str, fn: Hook) -> None:
        self.hooks[event].append(fn)

    def _fire(self, event: str, epoch: int, metrics: Dict[str, float]) -> None:
        for fn in self.hooks[event]:
            fn(self, epoch, metrics)

    def _set_mode(self, training: bool) -> None:
        self.model.train(training)

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        loss = F.cross_entropy(self.model(x), y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    @torch.no_grad()
    def evaluate_model(self, net: nn.Module, loader: DataLoader) -> Dict[str, float]:
        net.eval()
        loss_sum, correct, n = 0.0, 0, 0
        for x, y in loader:
            x, y = x.to(self.device), y.to(self.device)
            logits = net(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            n += y.numel()
        return {"loss": loss_sum / n, "acc": correct / n}

    def validate(self, loader: DataLoader) -> Dict[str, float]:
        self._set_mode(False)
        try:
            return self.evaluate_model(self.model, loader)
        finally:
            self._set_mode(True)

    def fit(self, train_loader: DataLoader, val_loader: DataLoader) -> Dict[str, float]:
        es_cfg = self.cfg["early_stopping"]
        stopper = EarlyStopper(es_cfg["patience"], es_cfg["min_delta"])
        swa_start = self.cfg["swa"]["start_epoch"]
        metrics: Dict[str, float] = {}
        for epoch in range(self.cfg["optim"]["epochs"]):
            self._set_mode(True)
            losses = [self._step(x.to(self.device), y.to(self.device)) for x, y in train_loader]
            in_swa = self.swa_model is not None and epoch >= swa_start
            if in_swa:
                self.swa_model.update_parameters(self.model)
                self.swa_scheduler.step()
            else:
                self.scheduler.step()
            metrics = {"epoch": epoch, "train_loss": sum(losses) / len(losses)}
            metrics.update({f"val_{k}": v for k, v in self.validate(val_loader).items()})
            self._fire("on_epoch_end", epoch, metrics)
            if metrics["val_loss"] < stopper.best:
                self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            if not in_swa and stopper.step(metrics["val_loss"]):
                log.info("early stop at epoch %d", epoch)
                break

        if self.swa_model is not None and self.swa_model.n_averaged.item() > 0:
            # recompute BN running statistics for the averaged weights
            update_bn(train_loader, self.swa_model, device=self.device)
            swa_metrics = self.evaluate_model(self.swa_model, val_loader)
            metrics.update({f"swa_{k}": v for k, v in swa_metrics.items()})
        self._fire("on_fit_end", -1, metrics)
        return metrics


def log_hook(trainer: Trainer, epoch: int, metrics: Dict[str, float]) -> None:
    log.info(json.dumps({k: round(v, 5) if isinstance(v, float) else v for k, v in metrics.items()}))


def make_loaders(cfg: Dict[str, Any]):
    d = cfg["data"]
    g = torch.Generator().manual_seed(cfg["seed"])
    w = torch.randn(d["num_features"], cfg["model"]["num_classes"], generator=g)

    def make(n: int) -> TensorDataset:
        x = torch.randn(n, d["num_features"], generator=g)
        return TensorDataset(x, (x @ w).argmax(1))

    train_ds, val_ds = make(d["num_train"]), make(d["num_val"])
    # 10_001 rows: drop the final single-row batch
    train_loader = DataLoader(train_ds, batch_size=d["batch_size"], shuffle=True, drop_last=d["drop_last"])
    val_loader = DataLoader(val_ds, batch_size=512)
    return train_loader, val_loader


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--config", help="JSON file with overrides of DEFAULT_CONFIG")
    p.add_argument("--save", default="mlp_swa.pt")
    args = p.parse_args(argv)
    cfg = DEFAULT_CONFIG
    if args.config:
        with open(args.config) as fh:
            cfg = deep_update(DEFAULT_CONFIG, json.load(fh))
    torch.manual_seed(cfg["seed"])

    train_loader, val_loader = make_loaders(cfg)
    trainer = Trainer(cfg)
    trainer.add_hook("on_epoch_end", log_hook)
    final = trainer.fit(train_loader, val_loader)
    log.info("final: %s", final)
    torch.save({
        "model": trainer.model.state_dict(),
        "best": trainer.best_state,
        "swa": trainer.swa_model.module.state_dict() if trainer.swa_model is not None else None,
        "config": cfg,
    }, args.save)


if __name__ == "__main__":
    main()
