from .registry import Registry, build_from_cfg

__version__ = '0.4.0'
