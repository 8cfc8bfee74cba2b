# Lightning's BaseFinetuning.freeze(..., train_bn=False) as used by finetuning-scheduler:
# frozen BatchNorm layers get requires_grad=False *and* track_running_stats=False, so the
# running statistics are not updated while the module trains (no BN105 finding).
from typing import Iterable, Union

import torch
import torch.nn as nn
import torchvision
from torch.nn.modules.batchnorm import _BatchNorm
import pytorch_lightning as pl


class BaseFinetuning(pl.Callback):
    @staticmethod
    def flatten_modules(modules: Union[nn.Module, Iterable[nn.Module]]):
        if isinstance(modules, nn.Module):
            modules = [modules]
        _modules = []
        for m in modules:
            _modules.extend(m.modules())
        return [m for m in _modules if not list(m.children()) or m._parameters]

    @staticmethod
    def make_trainable(modules):
        for module in BaseFinetuning.flatten_modules(modules):
            if isinstance(module, _BatchNorm):
                module.track_running_stats = True
            for param in module.parameters(recurse=False):
                param.requires_grad = True

    @staticmethod
    def freeze_module(module: nn.Module) -> None:
        if isinstance(module, _BatchNorm):
            module.track_running_stats = False
        # recursion could yield duplicate parameters for parent modules w/ parameters so disabling it
        for param in module.parameters(recurse=False):
            param.requires_grad = False

    @staticmethod
    def freeze(modules, train_bn: bool = True) -> None:
        modules = BaseFinetuning.flatten_modules(modules)
        for mod in modules:
            if isinstance(mod, _BatchNorm) and train_bn:
                BaseFinetuning.make_trainable(mod)
            else:
                BaseFinetuning.freeze_module(mod)


class FinetuningScheduler(BaseFinetuning):
    def freeze_before_training(self, pl_module: pl.LightningModule) -> None:
        self.freeze(modules=pl_module, train_bn=False)
        self.make_trainable(pl_module.classifier)

    def on_fit_start(self, trainer, pl_module):
        self.freeze_before_training(pl_module)


class TransferModel(pl.LightningModule):
    def __init__(self, num_classes=10):
        super().__init__()
        backbone = torchvision.models.resnet50(weights="IMAGENET1K_V2")
        self.feature_extractor = nn.Sequential(*list(backbone.children())[:-1])
        self.classifier = nn.Linear(2048, num_classes)

    def forward(self, x):
        return self.classifier(self.feature_extractor(x).flatten(1))

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(self(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(filter(lambda p: p.requires_grad, self.parameters()), lr=1e-3)


def main(train_loader):
    model = TransferModel()
    trainer = pl.Trainer(max_epochs=5, callbacks=[FinetuningScheduler()])
    trainer.fit(model, train_loader)
