import torch.nn as nn

from models import model_dict


def init_modules(config, stage, **kwargs):
    stage_dict = model_dict[stage]
    module_type = config[stage]["type"]
    return stage_dict[module_type](**kwargs)


class Model(nn.Module):
    def __init__(self, in_channels, n_class, config):
        super().__init__()
        self.feature_extraction = init_modules(config, "feature_extraction", in_channels=in_channels)
        self.prediction = init_modules(config, "prediction", in_channels=64, n_class=n_class)

    def forward(self, x):
        return self.prediction(self.feature_extraction(x))
