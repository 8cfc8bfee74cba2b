from typing import Callable, Dict

import torch.nn as nn

import pkg.models as models


class Factory:
    PRODUCTS: Dict[str, Callable] = {}

    @classmethod
    def create(cls, name, *args, **kwargs):
        return cls.PRODUCTS[name](*args, **kwargs)


class VisualFactory(Factory):
    PRODUCTS = {"resnet": models.Backbone}

    @classmethod
    def from_config(cls, config):
        return cls.create(config.visual)


class ModelFactory(Factory):
    PRODUCTS = {"captioning": models.Captioner}

    @classmethod
    def from_config(cls, config):
        visual = VisualFactory.from_config(config)
        textual = nn.Linear(2048, config.vocab)
        return cls.create(config.model, visual, textual)
