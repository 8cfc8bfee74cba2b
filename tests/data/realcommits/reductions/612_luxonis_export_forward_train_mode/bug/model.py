import lightning.pytorch as pl
import torch
from torch import nn

from nodes import BaseNode


class Model(pl.LightningModule):
    def __init__(self, nodes: dict):
        super().__init__()
        self.nodes = nn.ModuleDict(nodes)

    def forward(self, x):
        for node in self.nodes.values():
            x = node(x)
        return x

    def export_onnx(self, save_path):
        for module in self.modules():
            if isinstance(module, BaseNode):
                module.set_export_mode()
        self.to_onnx(save_path, torch.zeros(1, 3, 8, 8))
