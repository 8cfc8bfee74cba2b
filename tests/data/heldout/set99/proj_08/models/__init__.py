"""Surrogate architectures. Each module exposes ``build(cfg)``."""
import importlib

_MODULES = {
    'resmlp': 'models.mlp',
    'cnn1d': 'models.cnn1d',
    'deeponet': 'models.deeponet',
}


def build_model(name, **cfg):
    if name not in _MODULES:
        raise ValueError('unknown model {}: {}'.format(name, sorted(_MODULES)))
    module = importlib.import_module(_MODULES[name])
    return getattr(module, 'build')(**cfg)
