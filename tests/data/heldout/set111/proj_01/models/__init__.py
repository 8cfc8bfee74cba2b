from .net import SeedlingNet, get_model

__all__ = ["SeedlingNet", "get_model"]
