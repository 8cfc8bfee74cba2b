from abc import ABC

import torch


class BaseModel(ABC):
    def __init__(self, opt):
        self.opt = opt
        self.model_names = []

    def eval(self):
        for name in self.model_names:
            if isinstance(name, str):
                net = getattr(self, 'net' + name)
                net.eval()

    def train(self):
        for name in self.model_names:
            if isinstance(name, str):
                getattr(self, 'net' + name).train()

    def test(self):
        with torch.no_grad():
            self.forward()
