"""Model registry. ``create_model(name, **kwargs)`` looks the constructor up by
name in the architecture modules, so new models only need to be defined."""
from . import efficientnet, regnet, resnet

_MODULES = (resnet, efficientnet, regnet)


def list_models():
    names = []
    for mod in _MODULES:
        names.extend(getattr(mod, '__all__', []))
    return sorted(names)


def create_model(name, **kwargs):
    for mod in _MODULES:
        if name in getattr(mod, '__all__', []):
            return getattr(mod, name)(**kwargs)
    raise ValueError('Unknown model {}; available: {}'.format(name, ', '.join(list_models())))
