from .registry import MODELS, Net

__all__ = ["Net", "MODELS"]
