from torch import nn

MODEL_REGISTRY = {}


def register_model(name):
    def register(cls):
        MODEL_REGISTRY[name] = cls
        return cls
    return register


class ZooModel(nn.Module):
    @classmethod
    def from_config(cls, config):
        return cls(**{k: v for k, v in config.items() if k != "name"})


def build_model(config):
    return MODEL_REGISTRY[config["name"]].from_config(config)


from zoo import resnet  # noqa: E402,F401  (registers its models)
