import importlib

import torch
import torch.nn as nn


class WrappedModel(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.module = model

    def forward(self, x, label=None):
        return self.module(x, label)


class SpeakerNet(nn.Module):
    def __init__(self, model, nPerSpeaker, **kwargs):
        super().__init__()
        SpeakerNetModel = importlib.import_module("models." + model).__getattribute__("MainModel")
        self.__S__ = SpeakerNetModel(**kwargs)
        self.nPerSpeaker = nPerSpeaker

    def forward(self, data, label=None):
        return self.__S__.forward(data)


class ModelTrainer(object):
    def __init__(self, speaker_model, optimizer, gpu, **kwargs):
        self.__model__ = speaker_model
        self.__optimizer__ = torch.optim.Adam(self.__model__.parameters(), lr=kwargs.get("lr", 0.001))
        self.gpu = gpu

    def loadParameters(self, path):
        self_state = self.__model__.module.state_dict()
        loaded_state = torch.load(path, map_location="cuda:%d" % self.gpu)
        for name, param in loaded_state.items():
            if name in self_state:
                self_state[name].copy_(param)
