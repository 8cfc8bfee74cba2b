import torch
import torch.nn as nn
from torchvision import models


class Feature(nn.Module):
    def __init__(self, model='resnet50'):
        nn.Module.__init__(self)
        self.base = models.__dict__[model](pretrained=True)

    def forward(self, x):
        return self.base(x)


class Feat_resnet50(Feature):
    def __init__(self):
        Feature.__init__(self, model='resnet50')


class Sampler:
    def __init__(self, loader, path):
        self.dl_ev = loader
        self.model = self._load_model(path)

    def _load_model(self, path):
        model = torch.nn.Sequential(Feat_resnet50(), torch.nn.Linear(1000, 128))
        model.load_state_dict(torch.load(path))
        return model

    @torch.no_grad()
    def get_features(self):
        return torch.cat([self.model(x) for x, t in self.dl_ev])
