import torch.nn as nn
MODEL_REGISTRY = {}
def register_model(name):
    def deco(cls):
        MODEL_REGISTRY[name] = cls
        return cls
    return deco
def build_model(config):
    return MODEL_REGISTRY[config["name"]].from_config(config)
@register_model("resnet")
class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(3)
    @classmethod
    def from_config(cls, config):
        return cls()
    def forward(self, x):
        return self.bn(x)
