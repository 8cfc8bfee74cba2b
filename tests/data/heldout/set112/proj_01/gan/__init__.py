"""Small DCGAN package: models, sampling utilities and config."""
from .config import CONFIG

__all__ = ["CONFIG"]
