"""Category Embedding Model"""
import logging
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from omegaconf import DictConfig

from ..base_model import BaseModel
from ..config import ModelConfig

logger = logging.getLogger(__name__)


@dataclass
class CategoryEmbeddingModelConfig(ModelConfig):
    layers: str = field(default="128-64-32")
    batch_norm_continuous_input: bool = field(default=True)
    activation: str = field(default="ReLU")
    embedding_dims: Optional[List[int]] = field(default=None)
    embedding_dropout: float = field(default=0.5)
    dropout: float = field(default=0.5)
    use_batch_norm: bool = field(default=False)
    initialization: str = field(default="kaiming")


class CategoryEmbeddingModel(BaseModel):
    def __init__(self, config: DictConfig, **kwargs):
        self.embedding_cat_dim = sum([y for x, y in config.embedding_dims])
        self.continuous_dim = config.continuous_dim
        super().__init__(config, **kwargs)

    def _initialize_layers(self, layer):
        if self.hparams.initialization == "kaiming":
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        elif self.hparams.initialization == "xavier":
            nn.init.xavier_normal_(layer.weight)

    def _linear_dropout_bn(self, in_units, out_units, activation, dropout):
        layers = []
        if self.hparams.use_batch_norm:
            layers.append(nn.BatchNorm1d(num_features=out_units))
        linear = nn.Linear(in_units, out_units)
        self._initialize_layers(linear)
        layers.extend([linear, activation()])
        if dropout != 0:
            layers.append(nn.Dropout(dropout))
        return layers

    def _build_network(self):
        activation = getattr(nn, self.hparams.activation)
        self.embedding_layers = nn.ModuleList([nn.Embedding(x, y) for x, y in self.hparams.embedding_dims])
        if self.hparams.batch_norm_continuous_input:
            self.normalizing_batch_norm = nn.BatchNorm1d(self.continuous_dim)
        layers = []
        _curr_units = self.embedding_cat_dim + self.continuous_dim
        if self.hparams.embedding_dropout != 0 and self.embedding_cat_dim != 0:
            layers.append(nn.Dropout(self.hparams.embedding_dropout))
        for units in self.hparams.layers.split("-"):
            layers.extend(
                self._linear_dropout_bn(
                    _curr_units,
                    int(units),
                    activation,
                    self.hparams.dropout,
                )
            )
            _curr_units = int(units)
        layers.append(nn.Linear(_curr_units, self.hparams.output_dim))
        self.linear_layers = nn.Sequential(*layers)

    def forward(self, x: Dict):
        continuous_data, categorical_data = x["continuous"], x["categorical"]
        if self.embedding_cat_dim != 0:
            x = [
                embedding_layer(categorical_data[:, i])
                for i, embedding_layer in enumerate(self.embedding_layers)
            ]
            x = torch.cat(x, 1)
        if self.continuous_dim != 0:
            if self.hparams.batch_norm_continuous_input:
                continuous_data = self.normalizing_batch_norm(continuous_data)
            if self.embedding_cat_dim != 0:
                x = torch.cat([x, continuous_data], 1)
            else:
                x = continuous_data
        return self.linear_layers(x)
