MODELS = {}


def register_model(name):
    def deco(cls):
        MODELS[name] = cls
        return cls
    return deco


def build_model(name, **kwargs):
    return MODELS[name](**kwargs)
