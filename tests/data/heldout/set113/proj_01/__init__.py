"""Classificador de espécies de peixes (projeto de iniciação científica)."""
__version__ = "0.2.0"
