MODEL_REGISTRY = {}


def register_model(name):
    def register_model_cls(cls):
        MODEL_REGISTRY[name] = cls
        return cls
    return register_model_cls


def build_model(config):
    return MODEL_REGISTRY[config["name"]].from_config(config)
