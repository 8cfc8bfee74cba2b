from typing import Iterable, List, Union

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
import torchvision
from pytorch_lightning.callbacks import Callback
from torch.nn import Module, ModuleDict
from torch.nn.modules.batchnorm import _BatchNorm


# pytorch_lightning/callbacks/finetuning.py (1.7)
class BaseFinetuning(Callback):
    @staticmethod
    def flatten_modules(modules: Union[Module, Iterable[Union[Module, Iterable]]]) -> List[Module]:
        if isinstance(modules, ModuleDict):
            modules = modules.values()
        if isinstance(modules, Iterable):
            _flatten_modules = []
            for m in modules:
                _flatten_modules.extend(BaseFinetuning.flatten_modules(m))
            _modules = iter(_flatten_modules)
        else:
            _modules = modules.modules()
        # Capture all leaf modules as well as parent modules that have parameters directly themselves
        return [m for m in _modules if not list(m.children()) or m._parameters]

    @staticmethod
    def make_trainable(modules: Union[Module, Iterable[Union[Module, Iterable]]]) -> None:
        modules = BaseFinetuning.flatten_modules(modules)
        for module in modules:
            # recursion could yield duplicate parameters for parent modules w/ parameters so disabling it
            for param in module.parameters(recurse=False):
                param.requires_grad = True

    @staticmethod
    def freeze_module(module: Module) -> None:
        # recursion could yield duplicate parameters for parent modules w/ parameters so disabling it
        for param in module.parameters(recurse=False):
            param.requires_grad = False

    @staticmethod
    def freeze(modules: Union[Module, Iterable[Union[Module, Iterable]]], train_bn: bool = True) -> None:
        """Freezes the parameters of the provided modules.

        Args:
            modules: A given module or an iterable of modules
            train_bn: If True, leave the BatchNorm layers in training mode
        """
        modules = BaseFinetuning.flatten_modules(modules)
        for mod in modules:
            if isinstance(mod, _BatchNorm) and train_bn:
                BaseFinetuning.make_trainable(mod)
            else:
                BaseFinetuning.freeze_module(mod)

    def setup(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule", stage: str) -> None:
        self.freeze_before_training(pl_module)

    def on_train_epoch_start(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        for opt_idx, optimizer in enumerate(trainer.optimizers):
            self.finetune_function(pl_module, trainer.current_epoch, optimizer, opt_idx)

    def finetune_function(self, pl_module, epoch, optimizer, opt_idx) -> None:
        raise NotImplementedError

    def freeze_before_training(self, pl_module: "pl.LightningModule") -> None:
        raise NotImplementedError


class BackboneFinetuning(BaseFinetuning):
    def __init__(self, unfreeze_backbone_at_epoch: int = 10, train_bn: bool = True) -> None:
        super().__init__()
        self.unfreeze_backbone_at_epoch = unfreeze_backbone_at_epoch
        self.train_bn = train_bn

    def freeze_before_training(self, pl_module: "pl.LightningModule") -> None:
        self.freeze(pl_module.backbone)

    def finetune_function(self, pl_module, epoch, optimizer, opt_idx) -> None:
        if epoch == self.unfreeze_backbone_at_epoch:
            self.make_trainable(pl_module.backbone)
            optimizer.add_param_group({"params": list(pl_module.backbone.parameters()),
                                       "lr": optimizer.param_groups[0]["lr"] / 10.0})


# reporter's code
class CustomBackboneFineTuning(BackboneFinetuning):
    def freeze_before_training(self, pl_module):
        self.freeze(pl_module.backbone, train_bn=False)


class Classifier(pl.LightningModule):
    def __init__(self, num_classes=10):
        super().__init__()
        resnet = torchvision.models.resnet18(weights="IMAGENET1K_V1")
        self.backbone = torch.nn.Sequential(*list(resnet.children())[:-1])
        self.head = torch.nn.Linear(512, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x).flatten(1))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", F.cross_entropy(self(x), y))

    def configure_optimizers(self):
        return torch.optim.Adam(filter(lambda p: p.requires_grad, self.parameters()), lr=1e-3)


if __name__ == "__main__":
    model = Classifier()
    trainer = pl.Trainer(max_epochs=20, callbacks=[CustomBackboneFineTuning()])
    trainer.fit(model, train_dataloaders=torch.load("train_dl.pt"), val_dataloaders=torch.load("val_dl.pt"))
