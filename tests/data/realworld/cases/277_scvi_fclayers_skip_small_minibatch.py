# scvi-tools (before PR #915): FCLayers with BatchNorm1d(momentum=0.01, eps=0.001), and a
# Lightning training plan that skips minibatches smaller than 3 instead of using drop_last.
import collections
from typing import Iterable

import pytorch_lightning as pl
import torch
from torch import nn


class FCLayers(nn.Module):
    def __init__(self, n_in: int, n_out: int, n_layers: int = 1, n_hidden: int = 128,
                 dropout_rate: float = 0.1, use_batch_norm: bool = True, bias: bool = True):
        super().__init__()
        layers_dim = [n_in] + (n_layers - 1) * [n_hidden] + [n_out]
        self.fc_layers = nn.Sequential(
            collections.OrderedDict(
                [
                    (
                        "Layer {}".format(i),
                        nn.Sequential(
                            nn.Linear(n_in, n_out, bias=bias),
                            # 0.01 / 0.001 match TensorFlow's batch-norm defaults
                            # (decay 0.99) in PyTorch's momentum convention
                            nn.BatchNorm1d(n_out, momentum=0.01, eps=0.001) if use_batch_norm else None,
                            nn.ReLU(),
                            nn.Dropout(p=dropout_rate) if dropout_rate > 0 else None,
                        ),
                    )
                    for i, (n_in, n_out) in enumerate(zip(layers_dim[:-1], layers_dim[1:]))
                ]
            )
        )

    def forward(self, x: torch.Tensor):
        for layers in self.fc_layers:
            for layer in layers:
                if layer is not None:
                    x = layer(x)
        return x


class TrainingPlan(pl.LightningModule):
    def __init__(self, module, lr: float = 1e-3):
        super().__init__()
        self.module = module
        self.lr = lr

    def training_step(self, batch, batch_idx, optimizer_idx=0):
        # do not remove, skips over small minibatches
        if batch["X"].shape[0] < 3:
            return None
        _, _, scvi_loss = self.module(batch)
        return {"loss": scvi_loss.loss}

    def configure_optimizers(self):
        return torch.optim.Adam(self.module.parameters(), lr=self.lr)
