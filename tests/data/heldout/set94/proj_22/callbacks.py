"""Callbacks for the Engine in engine.py.

Hooks receive the engine, which exposes .model, .optimizer, .state, etc.
"""
import math
import os

import torch
import torch.nn as nn


class Callback:
    def on_fit_start(self, engine): ...
    def on_train_epoch_start(self, engine, epoch): ...
    def on_train_epoch_end(self, engine, epoch, logs): ...
    def on_validation_end(self, engine, epoch, logs): ...
    def on_fit_end(self, engine): ...


class FreezeBNStats(Callback):
    """Late in training, stop updating BN statistics (fine-tuning phase).

    The engine calls model.train() *before* on_train_epoch_start, so the BN
    layers are put back into eval mode after every train() switch.
    """

    def __init__(self, after_epoch):
        self.after_epoch = after_epoch

    def on_train_epoch_start(self, engine, epoch):
        if epoch < self.after_epoch:
            return
        for m in engine.model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
                m.weight.requires_grad_(False)
                m.bias.requires_grad_(False)


class EarlyStopping(Callback):
    def __init__(self, monitor="val_f1", patience=8, mode="max"):
        self.monitor, self.patience, self.mode = monitor, patience, mode
        self.best = -math.inf if mode == "max" else math.inf
        self.wait = 0

    def on_validation_end(self, engine, epoch, logs):
        value = logs[self.monitor]
        better = value > self.best if self.mode == "max" else value < self.best
        if better:
            self.best, self.wait = value, 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                print(f"early stopping at epoch {epoch} ({self.monitor}={self.best:.4f})")
                engine.should_stop = True


class ModelCheckpoint(Callback):
    def __init__(self, dirpath, monitor="val_f1"):
        self.dirpath, self.monitor = dirpath, monitor
        self.best = -math.inf

    def on_fit_start(self, engine):
        os.makedirs(self.dirpath, exist_ok=True)

    def on_validation_end(self, engine, epoch, logs):
        engine.save_checkpoint(os.path.join(self.dirpath, "last.ckpt"), epoch)
        if logs[self.monitor] > self.best:
            self.best = logs[self.monitor]
            engine.save_checkpoint(os.path.join(self.dirpath, "best.ckpt"), epoch)


class LRLogger(Callback):
    def __init__(self):
        self.history = []

    def on_train_epoch_end(self, engine, epoch, logs):
        lr = engine.optimizer.param_groups[0]["lr"]
        self.history.append(lr)
        logs["lr"] = lr


class GradNormMonitor(Callback):
    def on_train_epoch_end(self, engine, epoch, logs):
        norms = [p.grad.detach().norm() for p in engine.model.parameters() if p.grad is not None]
        if norms:
            logs["grad_norm"] = torch.stack(norms).norm().item()
