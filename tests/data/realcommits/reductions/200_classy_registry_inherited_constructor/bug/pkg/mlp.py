import torch.nn as nn

from . import register_model


@register_model("mlp")
class MLP(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.fc = nn.Linear(width, width)

    @classmethod
    def from_config(cls, config):
        return cls(config.get("width", 8))

    def forward(self, x):
        return self.fc(x)
