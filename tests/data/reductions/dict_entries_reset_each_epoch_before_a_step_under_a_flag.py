import torch
import torch.nn as nn


class Passive:
    def train(self, loader):
        self.messenger.send(self.models["cut"].in_nodes)
        for model in self.models.values():
            model.train()
        for epoch in range(self.epochs):
            for model in self.models.values():
                model.train()
            for X in loader:
                out = self.models["bottom"](X)
                if self.kind:
                    out.backward(grad)
                else:
                    self.optimizers["bottom"].step()
            self.validate(loader)

    def validate(self, loader):
        for model in self.models.values():
            model.eval()
