# autoencodix BaseTrainer._init_loaders: instead of drop_last, the training batch size is
# bumped by one when len(trainset) % batch_size == 1, so no training batch of one is produced.
import warnings
from typing import cast

import torch
from torch.utils.data import DataLoader

from autoencodix.base._base_dataset import BaseDataset


class BaseTrainer:
    def __init__(self, trainset, validset, config, model_type):
        self._trainset = trainset
        self._validset = validset
        self._config = config
        self._init_loaders()
        self._model = model_type(config=config, input_dim=trainset.get_input_dim())
        self._optimizer = torch.optim.AdamW(self._model.parameters(), lr=config.learning_rate)

    def _init_loaders(self):
        last_batch_is_one_sample = (
            len(self._trainset.data) % self._config.batch_size == 1
        )
        corrected_bs = (
            self._config.batch_size + 1
            if last_batch_is_one_sample
            else self._config.batch_size
        )
        if last_batch_is_one_sample:
            warnings.warn(
                f"increased batch_size to {corrected_bs} for trainset, to avoid batches "
                "of size one (fails for Models with BatchNorm)"
            )

        self._trainloader = DataLoader(
            cast(BaseDataset, self._trainset),
            shuffle=True,
            batch_size=corrected_bs,
        )
        if self._validset:
            self._validloader = DataLoader(
                dataset=self._validset,
                batch_size=self._config.batch_size,
                shuffle=False,
            )
        else:
            self._validloader = None

    def train(self, epochs):
        for _ in range(epochs):
            self._model.train()
            for x, _ in self._trainloader:
                loss = self._model.loss(x)
                self._optimizer.zero_grad()
                loss.backward()
                self._optimizer.step()
